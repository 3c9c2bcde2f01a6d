// Package cicheck checks GitLab CI files against the rules of GitLab itself
// that gitlab-ci-local (the schema and a local run) does not enforce: what
// makes a child of a merge-request pipeline empty, a job's `when` that a rule
// silently overrides, an include:artifact provider whose archive is too big,
// keywords the target GitLab does not know yet, name and needs limits,
// interruptible cluster jobs, artifact paths outside the project, two jobs
// sharing one test suite, artifacts:expose_as GitLab refuses, and strings
// GitLab's YAML 1.1 parser reads as other types. Each rule cites the GitLab source it follows.
//
// generate runs it on every file it writes and refuses a file that breaks a
// rule; the tests run it on every example parent pipeline and the project's
// own .gitlab-ci.yml.
package cicheck

import (
	"fmt"
	"path"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/internal/yaml11"
)

// Rule names, as findings carry them.
const (
	RuleWorkflow      = "workflow-rules"
	RuleWhen          = "rule-when"
	RuleArtifactSize  = "include-artifact-size"
	RuleIncludeSource = "include-artifact-job"
	RuleKeyword       = "keyword-version"
	RuleJobName       = "job-name-length"
	RuleNeeds         = "needs-limit"
	RuleInterruptible = "interruptible-cluster-job"
	RuleArtifactPath  = "artifact-path"
	RuleSuite         = "one-suite-per-job"
	RuleYAML11        = "yaml-1.1-string"
	RuleExposeAs      = "expose-as"
)

// File is one CI file to check.
type File struct {
	Name string
	Data []byte
	// Child says the file runs as a child (or grandchild) pipeline, which
	// inherits a merge request from its parent.
	Child bool
	// Tree, when set, is the file's top-level mapping, given instead of
	// Data by a caller that holds it (the generator, whose files are large
	// and whose jobs it knows): it is checked without parsing. Its jobs
	// need only the keys the rules read (ReadsJobKey); scalars are checked
	// as they are given, so a string meant for GitLab has the style it is
	// written in.
	Tree *yaml.Node
}

// ReadsJobKey reports whether a rule reads the job keyword k, from the
// job or from what it extends. A file given as a Tree may leave the other
// keys out of its jobs; a rule that reads another key must be added here.
func ReadsJobKey(k string) bool {
	switch k {
	case "extends", "needs", "when", "rules", "trigger", "interruptible", "parallel", "artifacts", "script", "before_script":
		return true
	}
	return false
}

// Options say what the files must run on.
type Options struct {
	// GitLab is the oldest GitLab the files must run on; zero means DefaultGitLab.
	GitLab Version
	// ClusterJobs names the jobs that provision, connect, upgrade or tear
	// down a cluster. Without it, a job is one when it extends a hidden job
	// named .clusters/... or .upgrade (the generator's convention).
	ClusterJobs map[string]bool
}

// Finding is one broken rule.
type Finding struct {
	File    string
	Line    int
	Column  int
	Job     string // empty for file-level findings
	Rule    string
	Message string
}

// String renders the finding as file:line:col: job: message [rule].
func (f Finding) String() string {
	where := fmt.Sprintf("%s:%d:%d: ", f.File, f.Line, f.Column)
	if f.Job != "" {
		where += fmt.Sprintf("job %q: ", f.Job)
	}
	return where + f.Message + " [" + f.Rule + "]"
}

// Error is the findings of a check that failed, as one error.
type Error []Finding

func (e Error) Error() string {
	lines := make([]string, len(e))
	for i, f := range e {
		lines[i] = f.String()
	}
	return "GitLab would refuse or misrun the pipeline:\n  " + strings.Join(lines, "\n  ")
}

// Check runs every rule on the files and returns the findings in file and
// line order. A file that is not a YAML mapping is an error.
func Check(files []File, opts Options) ([]Finding, error) {
	if opts.GitLab.IsZero() {
		opts.GitLab = DefaultGitLab
	}
	// Files are checked in parallel: parsing a large generated file is
	// most of the work.
	found := make([][]Finding, len(files))
	errs := make([]error, len(files))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			p, err := parse(f)
			if err != nil {
				errs[i] = err
				return
			}
			c := &checker{p: p, opts: opts}
			c.run()
			found[i] = c.findings
		}()
	}
	wg.Wait()
	var out []Finding
	for i := range files {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out = append(out, found[i]...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out, nil
}

// Files runs Check and returns the findings as an Error, or nil.
func Files(files []File, opts Options) error {
	found, err := Check(files, opts)
	if err != nil {
		return err
	}
	if len(found) > 0 {
		return Error(found)
	}
	return nil
}

// reserved are the top-level keys that are not jobs.
var reserved = map[string]bool{
	"default": true, "include": true, "stages": true, "variables": true, "workflow": true,
	"image": true, "services": true, "cache": true, "before_script": true, "after_script": true,
	"spec": true,
}

// pipeline is a parsed file: its jobs with extends resolved.
type pipeline struct {
	file   File
	root   *yaml.Node
	jobs   []*job
	byName map[string]*job
	hidden map[string]*yaml.Node
}

type job struct {
	name string
	key  *yaml.Node // the key node, for positions
	raw  *yaml.Node // as written
	eff  *yaml.Node // with extends merged
	// bases are the hidden jobs it extends, transitively.
	bases []string
}

func parse(f File) (*pipeline, error) {
	root := f.Tree
	if root == nil {
		var doc yaml.Node
		if err := yaml.Unmarshal(f.Data, &doc); err != nil {
			return nil, fmt.Errorf("check %s: %w", f.Name, err)
		}
		if len(doc.Content) > 0 {
			root = doc.Content[0]
		}
	}
	if root == nil || root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("check %s: a CI file is a YAML mapping", f.Name)
	}
	p := &pipeline{file: f, root: root, byName: map[string]*job{}, hidden: map[string]*yaml.Node{}}
	for i := 0; i+1 < len(p.root.Content); i += 2 {
		k, v := p.root.Content[i], p.root.Content[i+1]
		switch {
		case reserved[k.Value]:
		case strings.HasPrefix(k.Value, "."):
			p.hidden[k.Value] = v
		default:
			j := &job{name: k.Value, key: k, raw: v}
			p.jobs = append(p.jobs, j)
			p.byName[j.name] = j
		}
	}
	for _, j := range p.jobs {
		j.eff, j.bases = p.extend(j.raw, 0)
	}
	return p, nil
}

// extend merges what a job extends under it, as GitLab does: hashes are
// merged deeply, everything else the job sets replaces the base's
// (lib/gitlab/ci/config/extendable/entry.rb).
func (p *pipeline) extend(n *yaml.Node, depth int) (*yaml.Node, []string) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode || depth > 10 {
		return n, nil
	}
	ext := get(n, "extends")
	if ext == nil {
		return n, nil
	}
	var names []string
	if ext.Kind == yaml.ScalarNode {
		names = []string{ext.Value}
	} else {
		for _, e := range ext.Content {
			names = append(names, e.Value)
		}
	}
	var merged *yaml.Node
	var bases []string
	for _, name := range names {
		base, ok := p.hidden[name]
		if !ok {
			if j := p.byName[name]; j != nil {
				base = j.raw
			}
		}
		if base == nil {
			continue
		}
		bases = append(bases, name)
		b, more := p.extend(base, depth+1)
		bases = append(bases, more...)
		merged = merge(merged, b)
	}
	return merge(merged, n), bases
}

// merge returns base with over deep-merged over it.
func merge(base, over *yaml.Node) *yaml.Node {
	base, over = deref(base), deref(over)
	if base == nil {
		return over
	}
	if over == nil || base.Kind != yaml.MappingNode || over.Kind != yaml.MappingNode {
		return over
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Line: over.Line, Column: over.Column}
	for i := 0; i+1 < len(base.Content); i += 2 {
		k := base.Content[i]
		if ov := get(over, k.Value); ov != nil {
			out.Content = append(out.Content, k, merge(base.Content[i+1], ov))
		} else {
			out.Content = append(out.Content, k, base.Content[i+1])
		}
	}
	for i := 0; i+1 < len(over.Content); i += 2 {
		if get(base, over.Content[i].Value) == nil {
			out.Content = append(out.Content, over.Content[i], over.Content[i+1])
		}
	}
	return out
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// get returns the value under key, looking into YAML merge keys (<<) too.
func get(m *yaml.Node, key string) *yaml.Node {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i].Tag != "!!merge" {
			return deref(m.Content[i+1])
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Tag == "!!merge" {
			for _, base := range items(m.Content[i+1]) {
				if v := get(base, key); v != nil {
					return v
				}
			}
		}
	}
	return nil
}

func items(n *yaml.Node) []*yaml.Node {
	n = deref(n)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.SequenceNode {
		out := make([]*yaml.Node, 0, len(n.Content))
		for _, c := range n.Content {
			out = append(out, deref(c))
		}
		return out
	}
	return []*yaml.Node{n}
}

func scalar(n *yaml.Node) string {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

type checker struct {
	p        *pipeline
	opts     Options
	findings []Finding
}

func (c *checker) add(n *yaml.Node, job, rule, format string, args ...any) {
	f := Finding{File: c.p.file.Name, Job: job, Rule: rule, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		f.Line, f.Column = n.Line, n.Column
	}
	c.findings = append(c.findings, f)
}

func (c *checker) run() {
	if c.p.file.Child {
		c.workflow()
	}
	needed := map[string]*yaml.Node{}
	for _, j := range c.p.jobs {
		c.when(j)
		c.trigger(j)
		c.names(j, needed)
		c.interruptible(j)
		c.artifactPaths(j)
		c.exposeAs(j)
	}
	for name, at := range needed {
		if len(name) > MaxNeededJobName {
			c.add(at, "", RuleJobName, "job %q is needed by another job and its name has %d characters; GitLab stores at most %d for a needed job (app/models/ci/build_need.rb)", name, len(name), MaxNeededJobName)
		}
	}
	c.suites()
	c.yaml11(c.p.root)
}

// workflow: a child of a merge-request pipeline inherits the merge request,
// and a job with neither rules nor workflow:rules keeps the default
// `only: [branches, tags]` (lib/gitlab/ci/config/entry/policy.rb
// DEFAULT_ONLY), which does not match it: the job is dropped, and a child
// with no job left fails its trigger (GitLab issue 322012). workflow:rules
// remove the default from every job (lib/gitlab/ci/config/entry/processable.rb
// compose!). The rules must also admit the child: the first decisive rule,
// one without a condition or on $CI_PIPELINE_SOURCE == "parent_pipeline",
// must not say never.
func (c *checker) workflow() {
	wf := get(c.p.root, "workflow")
	rules := get(wf, "rules")
	if rules == nil {
		for _, j := range c.p.jobs {
			if get(j.eff, "rules") == nil {
				c.add(j.key, j.name, RuleWorkflow, "neither the file's workflow:rules nor the job's rules: in a child of a merge-request pipeline the job keeps the default only: [branches, tags] and is dropped (lib/gitlab/ci/config/entry/policy.rb DEFAULT_ONLY, GitLab issue 322012)")
			}
		}
		return
	}
	for _, r := range items(rules) {
		cond := get(r, "if")
		if get(r, "changes") != nil || get(r, "exists") != nil {
			continue
		}
		if cond != nil && !parentSource.MatchString(cond.Value) {
			continue
		}
		if scalar(get(r, "when")) == "never" {
			c.add(r, "", RuleWorkflow, "workflow:rules refuse a child pipeline ($CI_PIPELINE_SOURCE is parent_pipeline): the trigger would fail")
		}
		return
	}
	c.add(rules, "", RuleWorkflow, "no workflow rule surely admits a child pipeline: end the rules with `- when: always` (or an if on $CI_PIPELINE_SOURCE == \"parent_pipeline\")")
}

var parentSource = regexp.MustCompile(`^\s*\$CI_PIPELINE_SOURCE\s*==\s*["']parent_pipeline["']\s*$`)

// when: a matched rule's `when` replaces the job's; the job's `when` is
// only the default for rules that set none (lib/gitlab/ci/build/rules.rb:
// `when: matched_rule.attributes[:when] || @default_when`). A job with
// `when: always` whose rules end `- when: on_success` is skipped after a
// failure.
func (c *checker) when(j *job) {
	jw := get(j.eff, "when")
	rules := get(j.eff, "rules")
	if jw == nil || rules == nil {
		return
	}
	for i, r := range items(rules) {
		rw := scalar(get(r, "when"))
		if rw == "" || rw == "never" || rw == jw.Value {
			continue
		}
		c.add(get(r, "when"), j.name, RuleWhen, "rule %d says when: %s, which replaces the job's when: %s whenever it matches (lib/gitlab/ci/build/rules.rb); put when: %s in the rule", i+1, rw, jw.Value, jw.Value)
	}
}

// trigger checks a trigger job's keywords against the target version and
// each include:artifact provider's artifacts.
func (c *checker) trigger(j *job) {
	t := get(j.eff, "trigger")
	if t == nil {
		return
	}
	if s := get(t, "strategy"); s != nil && s.Value == StrategyMirror && !c.opts.GitLab.AtLeast(MirrorStrategy) {
		c.add(s, j.name, RuleKeyword, "trigger:strategy: mirror needs GitLab %s; before it the whole file is invalid on the target GitLab %s (lib/gitlab/ci/config/entry/trigger.rb): use depend, or raise pipeline.gitlab", MirrorStrategy, c.opts.GitLab)
	}
	for _, inc := range items(get(t, "include")) {
		art := get(inc, "artifact")
		if art == nil {
			continue
		}
		if !Inside(art.Value) {
			c.add(art, j.name, RuleArtifactPath, "include:artifact %q is not a relative path inside the project", art.Value)
		}
		src := get(inc, "job")
		provider := c.p.byName[scalar(src)]
		if provider == nil {
			c.add(inc, j.name, RuleIncludeSource, "include:artifact names job %q, which is not in this pipeline: the providing job must be a job of the same pipeline that ran before the trigger", scalar(src))
			continue
		}
		c.provider(provider, art, j.name)
	}
}

// binaryPath matches artifact paths that are, or hold, build outputs and
// archives.
var binaryPath = regexp.MustCompile(`(^|/)(bin|dist|build|vendor|node_modules|\.go|\.cache)(/|$)|\.(exe|so|dll|a|bin|jar|war|zip|tar|tgz|gz|xz|zst|7z|deb|rpm|iso|img|tar\.gz)$`)

// goBuildOut finds the output of `go build -o X` in a script line.
var goBuildOut = regexp.MustCompile(`\bgo\s+build\b[^;&|]*?\s-o[\s=]+("?)([^\s";&|]+)`)

// provider checks the artifacts of a job whose file a trigger includes: the
// whole artifacts archive must be at most MaxArtifactArchive
// (lib/gitlab/ci/artifact_file_reader.rb MAX_ARCHIVE_SIZE, checked on
// job_artifacts_archive.size), so it must not carry binaries, archives or
// the whole project, and it must hold the included file.
func (c *checker) provider(p *job, art *yaml.Node, trigger string) {
	const limit = MaxArtifactArchive >> 20 // MiB, as the messages say it
	a := get(p.eff, "artifacts")
	if u := get(a, "untracked"); u != nil && u.Value == "true" {
		c.add(u, p.name, RuleArtifactSize, "provides %s to trigger %q but uploads every untracked file: its whole artifacts archive must stay under %d MiB (lib/gitlab/ci/artifact_file_reader.rb)", art.Value, trigger, limit)
	}
	built := map[string]bool{}
	for _, key := range []string{"before_script", "script"} {
		for _, line := range items(get(p.eff, key)) {
			for _, m := range goBuildOut.FindAllStringSubmatch(line.Value, -1) {
				built[path.Clean(m[2])] = true
			}
		}
	}
	holds := false
	for _, pn := range items(get(a, "paths")) {
		ps := path.Clean(strings.TrimPrefix(pn.Value, "./"))
		switch {
		case ps == "." || ps == "*" || ps == "**" || ps == "**/*":
			c.add(pn, p.name, RuleArtifactSize, "provides %s to trigger %q but uploads the whole project (%q): its whole artifacts archive must stay under %d MiB (lib/gitlab/ci/artifact_file_reader.rb)", art.Value, trigger, pn.Value, limit)
		case binaryPath.MatchString(ps) || built[ps]:
			c.add(pn, p.name, RuleArtifactSize, "provides %s to trigger %q but its artifacts hold %q, a binary or archive: the whole archive of an include:artifact provider must stay under %d MiB (lib/gitlab/ci/artifact_file_reader.rb); move it to another job's artifacts", art.Value, trigger, pn.Value, limit)
		}
		if covers(ps, path.Clean(art.Value)) {
			holds = true
		}
	}
	if !holds {
		c.add(art, trigger, RuleIncludeSource, "include:artifact %q is not among the artifacts:paths of job %q", art.Value, p.name)
	}
}

// covers reports whether the artifacts path pattern holds the file.
func covers(pattern, file string) bool {
	if pattern == "." || pattern == file || strings.HasPrefix(file, strings.TrimSuffix(pattern, "/")+"/") {
		return true
	}
	ok, _ := path.Match(pattern, file)
	return ok
}

func (c *checker) names(j *job, needed map[string]*yaml.Node) {
	if len(j.name) > MaxJobName {
		c.add(j.key, j.name, RuleJobName, "the job name has %d characters; GitLab allows %d (lib/gitlab/ci/config/entry/processable.rb)", len(j.name), MaxJobName)
	}
	needs := items(get(j.eff, "needs"))
	if n := deref(get(j.eff, "needs")); n != nil && n.Kind == yaml.SequenceNode && len(needs) > MaxNeeds {
		c.add(n, j.name, RuleNeeds, "needs %d jobs; GitLab allows %d (ci_needs_size_limit, lib/gitlab/ci/pipeline/seed/build.rb)", len(needs), MaxNeeds)
	}
	for _, n := range needs {
		name := scalar(n)
		if n.Kind == yaml.MappingNode {
			if get(n, "pipeline") != nil || get(n, "project") != nil {
				continue
			}
			name = scalar(get(n, "job"))
		}
		if name != "" {
			if _, ok := needed[name]; !ok {
				needed[name] = n
			}
		}
	}
}

// interruptible: cluster jobs must not be interruptible. Auto-cancel on a
// new commit (app/services/ci/pipeline_creation/cancel_redundant_pipelines_service.rb)
// judges each pipeline of the hierarchy on its own: in its default
// `conservative` mode a pipeline is cancelled only when no started job of it
// is non-interruptible (Ci::Pipeline.conservative_interruptible), and the
// when: always teardown of a cancelled pipeline never runs, leaking the
// cluster. A started provision job that is not interruptible keeps its
// pipeline, teardown included, alive.
func (c *checker) interruptible(j *job) {
	if !c.isCluster(j) {
		return
	}
	if v := get(j.eff, "interruptible"); v != nil && v.Value == "true" {
		c.add(v, j.name, RuleInterruptible, "creates, changes or destroys a cluster but is interruptible: auto-cancel would stop the pipeline before its teardown (app/services/ci/pipeline_creation/cancel_redundant_pipelines_service.rb)")
	}
}

func (c *checker) isCluster(j *job) bool {
	if c.opts.ClusterJobs != nil {
		return c.opts.ClusterJobs[j.name]
	}
	for _, b := range j.bases {
		if strings.HasPrefix(b, ".clusters/") || b == ".upgrade" {
			return true
		}
	}
	return false
}

// artifactPaths: the runner archives only paths inside the project
// directory; others are skipped with "artifact path is not a subpath of
// project directory" (gitlab-runner commands/helpers/file_archiver.go).
func (c *checker) artifactPaths(j *job) {
	a := get(j.eff, "artifacts")
	for _, p := range items(get(a, "paths")) {
		if !Inside(p.Value) {
			c.add(p, j.name, RuleArtifactPath, "artifacts path %q is outside the project directory: the runner skips it (gitlab-runner commands/helpers/file_archiver.go); use a path relative to $CI_PROJECT_DIR", p.Value)
		}
	}
}

// exposeAsRE is GitLab's EXPOSE_AS_REGEX (lib/gitlab/ci/config/entry/artifacts.rb).
var exposeAsRE = regexp.MustCompile(`^\w[-\w ]*$`)

// exposeAs: GitLab refuses the whole file when artifacts:expose_as is not
// letters, digits, '-', '_' and spaces starting with a word character, is
// over 100 characters, comes without artifacts:paths, or comes with a path
// holding '*' (lib/gitlab/ci/config/entry/artifacts.rb validations).
// gitlab-ci-local's schema checks none of it.
func (c *checker) exposeAs(j *job) {
	a := get(j.eff, "artifacts")
	e := get(a, "expose_as")
	if e == nil {
		return
	}
	v := scalar(e)
	switch {
	case len(v) > 100:
		c.add(e, j.name, RuleExposeAs, "artifacts:expose_as has %d characters; GitLab allows 100 (lib/gitlab/ci/config/entry/artifacts.rb)", len(v))
	case !exposeAsRE.MatchString(v):
		c.add(e, j.name, RuleExposeAs, "artifacts:expose_as %q can contain only letters, digits, '-', '_' and spaces (lib/gitlab/ci/config/entry/artifacts.rb EXPOSE_AS_REGEX)", v)
	}
	paths := items(get(a, "paths"))
	if len(paths) == 0 {
		c.add(e, j.name, RuleExposeAs, "artifacts:expose_as needs artifacts:paths (lib/gitlab/ci/config/entry/artifacts.rb)")
	}
	for _, p := range paths {
		if strings.Contains(p.Value, "*") {
			c.add(p, j.name, RuleExposeAs, "artifacts path %q has a '*', which GitLab refuses with expose_as (lib/gitlab/ci/config/entry/artifacts.rb)", p.Value)
		}
	}
}

// Inside reports whether p, a slash-separated path, is relative and stays
// in the project directory: the only artifact paths a runner archives
// (gitlab-runner commands/helpers/file_archiver.go).
func Inside(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "~") || strings.HasPrefix(p, "$") || (len(p) > 1 && p[1] == ':') {
		return false
	}
	cl := path.Clean(p)
	return cl != ".." && !strings.HasPrefix(cl, "../")
}

// groupRE is GitLab's job grouping (app/models/commit_status.rb
// group_name): trailing ": [...]", " 1/3", " 1:3" parts are stripped.
var groupRE = regexp.MustCompile(`([\x08\s:]+((\[.*\])|(\d+[\s:/\\]+\d+)))+\s*\z`)

// GroupName is GitLab's group name of a job: the name GitLab gives the test
// suite of the job's JUnit reports (app/models/ci/build.rb test_suite_name),
// unless the job comes from parallel:matrix.
func GroupName(job string) string {
	if !mayGroup(job) {
		return strings.TrimSpace(job)
	}
	return strings.TrimSpace(groupRE.ReplaceAllString(job, ""))
}

// mayGroup reports whether groupRE can match the name: only when it ends,
// before any whitespace, with "]" or with digits after a separator. The
// generator asks for thousands of names, which seldom end so.
func mayGroup(s string) bool {
	s = strings.TrimRight(s, "\t\n\f\r ")
	if s == "" {
		return false
	}
	if s[len(s)-1] == ']' {
		return true
	}
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	if i == len(s) || i == 0 {
		return false
	}
	switch s[i-1] {
	case ' ', '\t', '\n', '\f', '\r', ':', '/', '\\':
		return true
	}
	return false
}

// suites: GitLab names a job's test suite after its group
// (app/models/ci/build.rb test_suite_name), so the JUnit reports of jobs of
// one group land in one suite and no reader can tell whose a case is. Each
// job that uploads JUnit reports must have a group of its own.
func (c *checker) suites() {
	byGroup := map[string]*job{}
	for _, j := range c.p.jobs {
		if get(get(get(j.eff, "artifacts"), "reports"), "junit") == nil {
			continue
		}
		if get(j.eff, "parallel") != nil {
			continue // a parallel:matrix job's suite is its full name
		}
		g := GroupName(j.name)
		if other := byGroup[g]; other != nil {
			c.add(j.key, j.name, RuleSuite, "its JUnit reports land in test suite %q together with job %q's: GitLab names a suite after the job's group (app/models/ci/build.rb test_suite_name, app/models/commit_status.rb group_name)", g, other.name)
			continue
		}
		byGroup[g] = j
	}
}

// yaml11 flags plain strings that GitLab's YAML 1.1 parser (Ruby Psych,
// lib/gitlab/config/loader/yaml.rb) reads as another type.
func (c *checker) yaml11(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && n.Style == 0 && !yaml11.Plain(n.Value) {
		c.add(n, "", RuleYAML11, "plain %q is not a string under YAML 1.1, which GitLab parses: quote it", n.Value)
	}
	for _, k := range n.Content {
		c.yaml11(k)
	}
}
