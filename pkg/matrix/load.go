package matrix

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	version "github.com/hashicorp/go-version"
	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/internal/words"
	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
	"gitlab.com/supportmatrix/supportmatrix/pkg/diag"
)

// MaxFileSize is the largest matrix file read. The large example is far
// below it; anything above is refused before parsing.
const MaxFileSize = 4 << 20

// Load reads, decodes and validates the matrix file at path. On failure the
// error is a Problems listing every problem found, or a plain error when the
// file cannot be read.
func Load(path string) (*Matrix, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// ReadFile reads a matrix file, never more than one byte past MaxFileSize,
// so that Parse refuses a huge file without it being read whole.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read matrix: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read matrix %s: %w", path, err)
	}
	return data, nil
}

// Parse decodes and validates matrix data; file names it in problems.
// Warnings found along the way are kept in the returned Problems even on
// success; use ParseWithWarnings to see them.
func Parse(file string, data []byte) (*Matrix, error) {
	m, probs := ParseWithWarnings(file, data)
	if len(probs.Errors()) > 0 {
		return nil, probs
	}
	return m, nil
}

// ParseWithWarnings decodes and validates matrix data and returns every
// problem found, warnings included. The matrix is nil when any problem is an
// error.
func ParseWithWarnings(file string, data []byte) (*Matrix, Problems) {
	m, _, probs := ParseExpanded(file, data)
	return m, probs
}

// ParseExpanded is ParseWithWarnings that also returns the plan the checks
// expanded (Expand(m)), so that a caller needing both expands the matrix
// once (validate). The plan is nil when the matrix is.
func ParseExpanded(file string, data []byte) (*Matrix, *Plan, Problems) {
	d := &decoder{file: file}
	m := d.parse(data)
	d.probs.Sort()
	if len(d.probs.Errors()) > 0 {
		return nil, nil, d.probs
	}
	if d.plan == nil {
		d.plan = Expand(m)
	}
	return m, d.plan, d.probs
}

func (d *decoder) parse(data []byte) (m *Matrix) {
	start := Pos{File: d.file, Line: 1, Column: 1}
	switch {
	case len(data) > MaxFileSize:
		d.probs.Addf(Error, start, "", "size", "file is larger than %d MiB; a matrix is a reviewed text file", MaxFileSize>>20)
		return nil
	case bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data):
		d.probs.Addf(Error, start, "", "encoding", "not a UTF-8 text file")
		return nil
	case len(bytes.TrimSpace(data)) == 0:
		d.probs.Addf(Error, start, "", "empty", "file is empty; a matrix starts with \"schema: %s\"", Schema)
		return nil
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		d.probs = append(d.probs, diag.YAMLSyntax(d.file, data, err))
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.probs.Addf(Error, Pos{File: d.file, Line: extra.Line, Column: extra.Column}, "", "yaml", "the file holds more than one YAML document; a matrix is one document")
		return nil
	} else if !errors.Is(err, io.EOF) {
		d.probs = append(d.probs, diag.YAMLSyntax(d.file, data, err))
		return nil
	}
	bomb := Problems{{Pos: start, Message: fmt.Sprintf("the document expands to more than %d nodes through aliases; refused", maxNodeVisits), Rule: "alias-bomb"}}
	if aliasBomb(&doc) {
		d.probs = bomb
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(errBudget); !ok {
				panic(r)
			}
			d.probs = bomb
			m = nil
		}
	}()
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	return d.matrix(root)
}

var topKeys = []string{"schema", "kubernetes", "distributions", "features", "rules", "upgrades", "profiles", "policy", "pipeline"}

func (d *decoder) matrix(root *yaml.Node) *Matrix {
	if root.Kind != yaml.MappingNode {
		d.errorf(root, "", "type", "a matrix is a mapping starting with \"schema: %s\", not %s", Schema, describe(root))
		return nil
	}
	// Reject unknown schemas before anything else: the rest would only be noise.
	pairs, _ := d.mapping(root, "")
	var schemaNode *yaml.Node
	for _, p := range pairs {
		if p.Key == "schema" {
			schemaNode = p.Value
		}
	}
	if schemaNode == nil {
		d.errorf(root, "schema", "schema", "missing \"schema: %s\"", Schema)
		return nil
	}
	if s, ok := d.str(schemaNode, "schema"); !ok {
		return nil
	} else if s != Schema {
		d.errorf(schemaNode, "schema", "schema", "unknown schema %q; this tool reads %q", s, Schema)
		return nil
	}
	m := &Matrix{File: d.file, Schema: Schema}
	pairs, _ = d.mapping(root, "", topKeys...)
	got := map[string]*yaml.Node{}
	for _, p := range pairs {
		got[p.Key] = p.KeyN
		switch p.Key {
		case "kubernetes":
			d.kubernetes(p.Value, m)
		case "distributions":
			d.distributions(p.Value, m)
		case "features":
			d.features(p.Value, m)
		case "rules":
			d.rules(p.Value, m)
		case "upgrades":
			d.upgrades(p.Value, m)
		case "profiles":
			d.profiles(p.Value, m)
		case "policy":
			d.policy(p.Value, m)
		case "pipeline":
			d.pipeline(p.Value, m)
		}
	}
	for _, req := range []string{"kubernetes", "distributions", "features"} {
		if got[req] == nil {
			d.errorf(root, req, "required", "missing section %q", req)
		}
	}
	d.defaults(m, got)
	d.validate(m)
	return m
}

func (d *decoder) kubernetes(n *yaml.Node, m *Matrix) {
	const path = "kubernetes"
	m.Kubernetes.Pos = d.pos(d.resolve(n))
	pairs, _ := d.mapping(n, path, "versions", "extended", "adopt_within")
	for _, p := range pairs {
		switch p.Key {
		case "versions":
			items, _ := d.seq(p.Value, path+".versions")
			for i, it := range items {
				v, ok := d.minor(it, fmt.Sprintf("%s.versions[%d]", path, i))
				if !ok {
					continue
				}
				d.written = append(d.written, v)
				if k := len(m.Kubernetes.Versions); k > 0 {
					prev := m.Kubernetes.Versions[k-1]
					if prev.Equal(v) {
						d.errorf(it, fmt.Sprintf("%s.versions[%d]", path, i), "version-order", "%s is listed twice", v)
						continue
					}
					if v.Less(prev) {
						d.errorf(it, fmt.Sprintf("%s.versions[%d]", path, i), "version-order", "%s comes after %s; list versions in ascending order", v, prev)
						continue
					}
				}
				m.Kubernetes.Versions = append(m.Kubernetes.Versions, v)
			}
			if len(items) == 0 {
				d.errorf(p.Value, path+".versions", "required", "list at least one Kubernetes minor")
			}
		case "extended":
			ps, _ := d.mapping(p.Value, path+".extended")
			for _, e := range ps {
				v, ok := d.minor(e.KeyN, path+".extended."+e.Key)
				reason, rok := d.nonEmpty(e.Value, path+".extended."+e.Key)
				if ok && rok {
					m.Kubernetes.Extended = append(m.Kubernetes.Extended, Extended{Minor: v, Reason: reason})
				}
			}
		case "adopt_within":
			if dur := d.duration(p.Value, path+".adopt_within"); dur != nil {
				m.Kubernetes.AdoptWithin = *dur
			}
		}
	}
}

var distributionKeys = []string{"name", "tier", "kubernetes", "lifecycle", "release_names", "cluster", "tags", "variables", "settings", "docs", "skew", "owners"}

func (d *decoder) distributions(n *yaml.Node, m *Matrix) {
	pairs, ok := d.mapping(n, "distributions")
	if ok && len(pairs) == 0 {
		d.errorf(n, "distributions", "required", "declare at least one distribution")
	}
	for _, p := range pairs {
		path := "distributions." + p.Key
		if !d.validID(p.KeyN, path, p.Key) {
			continue
		}
		dist := &Distribution{ID: p.Key, Pos: d.pos(p.KeyN)}
		fields, _ := d.mapping(p.Value, path, distributionKeys...)
		for _, f := range fields {
			fp := path + "." + f.Key
			switch f.Key {
			case "name":
				dist.Name, _ = d.nonEmpty(f.Value, fp)
			case "tier":
				t, _ := d.enum(f.Value, fp, names(Tiers)...)
				dist.Tier = Tier(t)
			case "kubernetes":
				dist.Kubernetes = d.constraint(f.Value, fp)
			case "lifecycle":
				// An id here; pkg/kube knows which products exist.
				dist.Lifecycle, _ = d.id(f.Value, fp)
				dist.LifecyclePos = d.pos(d.resolve(f.Value))
			case "release_names":
				ps, _ := d.mapping(f.Value, fp)
				for _, r := range ps {
					v, ok := d.minor(r.KeyN, fp+"."+r.Key)
					name, nok := d.nonEmpty(r.Value, fp+"."+r.Key)
					if ok && nok {
						dist.ReleaseNames = append(dist.ReleaseNames, ReleaseName{Minor: v, Name: name})
					}
				}
			case "cluster":
				d.cluster(f.Value, fp, &dist.Cluster)
			case "tags":
				dist.Tags = d.lines(f.Value, fp)
			case "variables":
				d.variables(f.Value, fp, dist)
			case "settings":
				dist.SettingsDeclared = true
				texts, nodes := d.strings(f.Value, fp)
				for i, t := range texts {
					dist.Settings = append(dist.Settings, Setting{Text: t, Pos: d.pos(nodes[i])})
				}
			case "docs":
				dist.Docs, _ = d.nonEmpty(f.Value, fp)
				dist.DocsPos = d.pos(d.resolve(f.Value))
			case "skew":
				dist.Skew = d.skew(f.Value, fp)
			case "owners":
				dist.Owners = d.owners(f.Value, fp)
			}
		}
		if dist.Name == "" && !hasKey(fields, "name") {
			d.errorf(p.KeyN, path+".name", "required", "missing name (the distribution's name in the table)")
		}
		if dist.Tier == "" && !hasKey(fields, "tier") {
			d.errorf(p.KeyN, path+".tier", "required", "missing tier: %s", words.OneOf(names(Tiers)))
		}
		if !hasKey(fields, "cluster") {
			d.errorf(p.KeyN, path+".cluster", "required", "missing cluster: {type: permanent, context: ...} or {type: ephemeral, provision: ..., teardown: ...}")
		}
		m.Distributions = append(m.Distributions, dist)
	}
}

func hasKey(pairs []pair, key string) bool {
	for _, p := range pairs {
		if p.Key == key {
			return true
		}
	}
	return false
}

func (d *decoder) cluster(n *yaml.Node, path string, c *Cluster) {
	c.Pos = d.pos(d.resolve(n))
	c.ContextPos, c.ProvisionPos, c.TeardownPos = c.Pos, c.Pos, c.Pos
	fields, _ := d.mapping(n, path, "type", "context", "provision", "teardown")
	var nodes = map[string]*yaml.Node{}
	for _, f := range fields {
		nodes[f.Key] = f.KeyN
		fp := path + "." + f.Key
		switch f.Key {
		case "type":
			t, _ := d.enum(f.Value, fp, names(ClusterTypes)...)
			c.Type = ClusterType(t)
		case "context":
			c.Context, _ = d.line(f.Value, fp)
			c.ContextPos = d.pos(d.resolve(f.Value))
		case "provision":
			c.Provision, _ = d.templateName(f.Value, fp)
			c.ProvisionPos = d.pos(d.resolve(f.Value))
		case "teardown":
			c.Teardown, _ = d.templateName(f.Value, fp)
			c.TeardownPos = d.pos(d.resolve(f.Value))
		}
	}
	switch c.Type {
	case "":
		if nodes["type"] == nil {
			d.errorf(n, path+".type", "required", "missing type: %s", words.OneOf(names(ClusterTypes)))
		}
	case ClusterPermanent:
		if nodes["context"] == nil {
			d.errorf(n, path+".context", "cluster", "a permanent cluster needs context, its GitLab agent context (\"group/project:agent-{minor}\")")
		}
		for _, k := range []string{"provision", "teardown"} {
			if nodes[k] != nil {
				d.errorf(nodes[k], path+"."+k, "cluster", "a permanent cluster is not provisioned or torn down; remove %s or use type: ephemeral", k)
			}
		}
	case ClusterEphemeral:
		for _, k := range []string{"provision", "teardown"} {
			if nodes[k] == nil {
				d.errorf(n, path+"."+k, "cluster", "an ephemeral cluster needs %s, a template in jobs/clusters/", k)
			}
		}
		if nodes["context"] != nil {
			d.errorf(nodes["context"], path+".context", "cluster", "an ephemeral cluster has no agent context; remove context or use type: permanent")
		}
	}
}

var templatePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// templateName reads the name of a template file, without directory or .yml.
func (d *decoder) templateName(n *yaml.Node, path string) (string, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return "", false
	}
	if !templatePattern.MatchString(s) {
		d.errorf(n, path, "template", "%q is not a template name: lower-case letters, digits, dashes and underscores, without directory or .yml", s)
		return "", false
	}
	return s, true
}

var variablePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (d *decoder) variables(n *yaml.Node, path string, dist *Distribution) {
	pairs, _ := d.mapping(n, path)
	for _, p := range pairs {
		vp := path + "." + p.Key
		if !variablePattern.MatchString(p.Key) {
			d.errorf(p.KeyN, vp, "variable", "%q is not a CI variable name: letters, digits and underscores, not starting with a digit", p.Key)
			continue
		}
		if why, reserved := ReservedVariable(p.Key); reserved {
			d.errorf(p.KeyN, vp, "variable", "%s is reserved: %s; choose another name", p.Key, why)
			continue
		}
		if v, ok := d.scalarText(p.Value, vp); ok {
			dist.Variables = append(dist.Variables, KV{Key: p.Key, Value: v, Pos: d.pos(p.KeyN)})
		}
	}
}

func (d *decoder) skew(n *yaml.Node, path string) *Skew {
	s := &Skew{MaxBehind: MaxBehindRange.Max, Pos: d.pos(d.resolve(n))}
	fields, _ := d.mapping(n, path, "max_behind", "verify")
	for _, f := range fields {
		switch f.Key {
		case "max_behind":
			s.MaxBehind, _ = d.integer(f.Value, path+".max_behind", MaxBehindRange)
		case "verify":
			s.Verify, _ = d.ids(f.Value, path+".verify")
		}
	}
	return s
}

func (d *decoder) features(n *yaml.Node, m *Matrix) {
	pairs, ok := d.mapping(n, "features")
	if ok && len(pairs) == 0 {
		d.errorf(n, "features", "required", "declare at least one feature")
	}
	for _, p := range pairs {
		path := "features." + p.Key
		if !d.validID(p.KeyN, path, p.Key) {
			continue
		}
		f := &Feature{ID: p.Key, Blocking: true, Pos: d.pos(p.KeyN), NeedsPos: d.pos(p.KeyN), TemplatePos: d.pos(p.KeyN)}
		fields, _ := d.mapping(p.Value, path, "name", "template", "kubernetes", "needs", "blocking", "timeout", "owners")
		for _, fl := range fields {
			fp := path + "." + fl.Key
			switch fl.Key {
			case "name":
				f.Name, _ = d.nonEmpty(fl.Value, fp)
			case "template":
				f.Template, _ = d.templateName(fl.Value, fp)
				f.TemplatePos = d.pos(d.resolve(fl.Value))
			case "kubernetes":
				f.Kubernetes = d.constraint(fl.Value, fp)
			case "needs":
				f.NeedsPos = d.pos(d.resolve(fl.Value))
				items, _ := d.seq(fl.Value, fp)
				for i, it := range items {
					if id, ok := d.id(it, fmt.Sprintf("%s[%d]", fp, i)); ok {
						f.Needs = append(f.Needs, id)
					}
				}
			case "blocking":
				f.Blocking, _ = d.boolean(fl.Value, fp)
			case "timeout":
				f.Timeout = d.duration(fl.Value, fp)
			case "owners":
				f.Owners = d.owners(fl.Value, fp)
			}
		}
		if f.Name == "" && !hasKey(fields, "name") {
			d.errorf(p.KeyN, path+".name", "required", "missing name (the feature area's name in the table)")
		}
		if f.Template == "" {
			f.Template = f.ID
		}
		m.Features = append(m.Features, f)
	}
}

func (d *decoder) rules(n *yaml.Node, m *Matrix) {
	items, _ := d.seq(n, "rules")
	for i, it := range items {
		path := fmt.Sprintf("rules[%d]", i)
		r := &Rule{Index: i, Pos: d.pos(d.resolve(it))}
		fields, _ := d.mapping(it, path, "match", "action", "reason", "link")
		for _, f := range fields {
			fp := path + "." + f.Key
			switch f.Key {
			case "match":
				r.MatchPos = d.pos(d.resolve(f.Value))
				ms, _ := d.mapping(f.Value, fp, "distribution", "feature", "kubernetes")
				if len(ms) == 0 {
					d.errorf(f.Value, fp, "rule", "match needs at least one of distribution, feature, kubernetes")
				}
				for _, mk := range ms {
					switch mk.Key {
					case "distribution":
						r.Distribution, _ = d.ids(mk.Value, fp+".distribution")
					case "feature":
						r.Feature, _ = d.ids(mk.Value, fp+".feature")
					case "kubernetes":
						r.Kubernetes = d.constraint(mk.Value, fp+".kubernetes")
					}
				}
			case "action":
				a, _ := d.enum(f.Value, fp, names(RuleActions)...)
				r.Action = Action(a)
				r.ActionPos = d.pos(d.resolve(f.Value))
			case "reason":
				r.Reason, _ = d.nonEmpty(f.Value, fp)
			case "link":
				r.Link, _ = d.nonEmpty(f.Value, fp)
			}
		}
		for _, req := range []string{"match", "action", "reason"} {
			if !hasKey(fields, req) && d.resolve(it) != nil && d.resolve(it).Kind == yaml.MappingNode {
				d.errorf(it, path+"."+req, "required", "a rule needs %s (every exclusion says why)", req)
			}
		}
		m.Rules = append(m.Rules, r)
	}
}

func (d *decoder) upgrades(n *yaml.Node, m *Matrix) {
	u := &Upgrades{Path: UpgradeAdjacent, Pos: d.pos(d.resolve(n))}
	fields, _ := d.mapping(n, "upgrades", "path", "verify", "distributions")
	for _, f := range fields {
		fp := "upgrades." + f.Key
		switch f.Key {
		case "path":
			u.Path, _ = d.enum(f.Value, fp, UpgradeAdjacent)
		case "verify":
			u.Verify, _ = d.ids(f.Value, fp)
		case "distributions":
			u.Distributions, _ = d.ids(f.Value, fp)
		}
	}
	m.Upgrades = u
}

func (d *decoder) profiles(n *yaml.Node, m *Matrix) {
	pairs, _ := d.mapping(n, "profiles")
	for _, p := range pairs {
		path := "profiles." + p.Key
		if !contains(PipelineSources, p.Key) {
			d.errorf(p.KeyN, path, "enum", "%q is not a $CI_PIPELINE_SOURCE; use one of %s", p.Key, strings.Join(PipelineSources, ", "))
			continue
		}
		mode, ok := d.enum(p.Value, path, ProfileModes...)
		if ok {
			m.Profiles = append(m.Profiles, Profile{Source: p.Key, Mode: mode, Pos: d.pos(p.KeyN)})
		}
	}
}

func (d *decoder) pipeline(n *yaml.Node, m *Matrix) {
	pl := &m.Pipeline
	pl.Pos = d.pos(d.resolve(n))
	pl.Limits.MaxJobsPos, pl.Limits.MaxNeedsPos = pl.Pos, pl.Pos
	fields, _ := d.mapping(n, "pipeline", "image", "gitlab", "strategy", "retry", "interruptible", "limits")
	for _, f := range fields {
		fp := "pipeline." + f.Key
		switch f.Key {
		case "image":
			pl.Image, _ = d.line(f.Value, fp)
		case "gitlab":
			pl.GitLab, _ = d.gitlabVersion(f.Value, fp)
			pl.GitLabPos = d.pos(f.Value)
		case "strategy":
			pl.Strategy, _ = d.enum(f.Value, fp, Strategies...)
			pl.StrategyPos = d.pos(f.Value)
		case "retry":
			rs, _ := d.mapping(f.Value, fp, "max", "when")
			for _, r := range rs {
				switch r.Key {
				case "max":
					pl.Retry.Max, _ = d.integer(r.Value, fp+".max", RetryMaxRange)
				case "when":
					items, _ := d.seq(r.Value, fp+".when")
					for i, it := range items {
						if w, ok := d.enum(it, fmt.Sprintf("%s.when[%d]", fp, i), RetryWhen...); ok {
							pl.Retry.When = append(pl.Retry.When, w)
						}
					}
				}
			}
		case "interruptible":
			pl.Interruptible, _ = d.boolean(f.Value, fp)
		case "limits":
			ls, _ := d.mapping(f.Value, fp, "max_jobs", "max_needs")
			for _, l := range ls {
				switch l.Key {
				case "max_jobs":
					pl.Limits.MaxJobs, _ = d.integer(l.Value, fp+".max_jobs", MaxJobsRange)
					pl.Limits.MaxJobsPos = d.pos(d.resolve(l.Value))
				case "max_needs":
					// A feature job needs at least its chain's prepare job
					// and an upgrade chain's upgrade job.
					pl.Limits.MaxNeeds, _ = d.integer(l.Value, fp+".max_needs", MaxNeedsRange)
					pl.Limits.MaxNeedsPos = d.pos(d.resolve(l.Value))
				}
			}
		}
	}
}

// DefaultAdoptWithin is kubernetes.adopt_within where the matrix is silent:
// how long after an upstream release the matrix may lack the new minor
// before `versions --check` fails.
var DefaultAdoptWithin = Duration{Text: "90d", D: 90 * 24 * time.Hour}

// Defaults applied where the file is silent.
const (
	// DefaultMaxJobs is GitLab.com Free's limit of jobs in active
	// pipelines (cicheck.FreeActiveJobs).
	DefaultMaxJobs = cicheck.FreeActiveJobs
	// DefaultMaxNeeds is GitLab's own limit of one job's needs
	// (cicheck.MaxNeeds, the plan limit ci_needs_size_limit).
	DefaultMaxNeeds = cicheck.MaxNeeds
	DefaultStrategy = cicheck.StrategyMirror // when pipeline.gitlab allows it; depend before GitLab 18.2
	// MinMaxJobs is the smallest pipeline.limits.max_jobs: a chain of
	// prepare, a few features and cleanup must fit in one pipeline.
	MinMaxJobs = 10
	// MinMaxNeeds is the smallest pipeline.limits.max_needs: a verify job
	// of an upgrade chain needs the prepare and the upgrade job.
	MinMaxNeeds = 2
)

func (d *decoder) defaults(m *Matrix, got map[string]*yaml.Node) {
	if m.Kubernetes.AdoptWithin.Text == "" {
		m.Kubernetes.AdoptWithin = DefaultAdoptWithin
		m.Kubernetes.AdoptWithin.Pos = m.Kubernetes.Pos
	}
	if m.Pipeline.GitLab.IsZero() {
		m.Pipeline.GitLab = cicheck.DefaultGitLab
	}
	if m.Pipeline.Strategy == "" {
		m.Pipeline.Strategy = DefaultStrategy
		if !m.Pipeline.GitLab.AtLeast(cicheck.MirrorStrategy) {
			m.Pipeline.Strategy = cicheck.StrategyDepend
		}
	}
	if m.Pipeline.Pos.File == "" {
		top := Pos{File: d.file, Line: 1, Column: 1}
		m.Pipeline.Pos, m.Pipeline.Limits.MaxJobsPos, m.Pipeline.Limits.MaxNeedsPos = top, top, top
	}
	if m.Pipeline.Limits.MaxJobs == 0 {
		m.Pipeline.Limits.MaxJobs = DefaultMaxJobs
	}
	if m.Pipeline.Limits.MaxNeeds == 0 {
		m.Pipeline.Limits.MaxNeeds = DefaultMaxNeeds
	}
	if got["profiles"] == nil {
		m.Profiles = []Profile{
			{Source: "merge_request_event", Mode: ProfileChanged},
			{Source: "schedule", Mode: ProfileAll},
			{Source: "web", Mode: ProfileAll},
		}
	}
	policyDefaults(m)
}

// ProfileFor returns the profile mode for a pipeline source: the matrix's
// entry, or "all" for sources it does not name.
func (m *Matrix) ProfileFor(source string) string {
	for _, p := range m.Profiles {
		if p.Source == source {
			return p.Mode
		}
	}
	return ProfileAll
}

func parseConstraint(text string) (version.Constraints, error) {
	return version.NewConstraint(text)
}
