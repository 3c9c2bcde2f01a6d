package matrix

import (
	"fmt"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
)

// validate checks what decoding alone cannot: references between sections,
// cycles, rules that match nothing, upgrades that would skip a minor. It runs
// on whatever decoded, so that every problem is reported at once; checks
// that expand the matrix run only when nothing else is wrong.
func (d *decoder) validate(m *Matrix) {
	features := map[string]bool{}
	for _, f := range m.Features {
		features[f.ID] = true
	}
	dists := map[string]*Distribution{}
	for _, x := range m.Distributions {
		dists[x.ID] = x
	}
	listed := func(v Minor) bool {
		for _, x := range d.written {
			if x.Equal(v) {
				return true
			}
		}
		return false
	}
	for _, e := range m.Kubernetes.Extended {
		if !listed(e.Minor) {
			d.probs.Addf(Warning, e.Minor.Pos, "kubernetes.extended."+e.Minor.String(), "extended", "%s is declared extended but kubernetes.versions does not list it", e.Minor)
		}
	}

	for _, x := range m.Distributions {
		path := "distributions." + x.ID
		if x.Kubernetes != nil && len(m.OfferedMinors(x)) == 0 {
			d.probs.Addf(Error, x.Kubernetes.Pos, path+".kubernetes", "offers-nothing", "%q allows none of kubernetes.versions (%s)", x.Kubernetes.Text, minorsText(m.Kubernetes.Versions))
		}
		for _, r := range x.ReleaseNames {
			switch {
			case !listed(r.Minor):
				d.probs.Addf(Warning, r.Minor.Pos, path+".release_names."+r.Minor.String(), "release-name", "%s is not in kubernetes.versions; the name is not shown", r.Minor)
			case !x.Offers(r.Minor):
				d.probs.Addf(Warning, r.Minor.Pos, path+".release_names."+r.Minor.String(), "release-name", "%s does not offer %s (kubernetes: %q); the name is not shown", x.ID, r.Minor, x.Kubernetes.Text)
			}
		}
		if offered := m.OfferedMinors(x); x.Cluster.Type == ClusterPermanent && len(offered) > 1 && x.Cluster.Context != "" && !strings.Contains(x.Cluster.Context, "{minor}") {
			d.probs.Addf(Error, x.Cluster.ContextPos, path+".cluster.context", "context-minor",
				"%s offers %d minors (%s) but every one would reach the same agent context %q, and a cluster runs one Kubernetes minor: put {minor} in the context (one agent per minor, e.g. %q) or narrow kubernetes to one minor",
				x.ID, len(offered), minorsText(offered), x.Cluster.Context, x.Cluster.Context+"-{minor}")
		}
		if x.Skew != nil {
			if x.Cluster.Type != ClusterEphemeral {
				d.probs.Addf(Error, x.Skew.Pos, path+".skew", "skew", "skew cells need an ephemeral cluster: a permanent cluster's node versions are not the pipeline's to choose")
			}
			d.knownIDs(x.Skew.Verify, features, x.Skew.Pos, path+".skew.verify", "feature")
			d.verifyNeeds(m, x.Skew.Verify, x.Skew.Pos, path+".skew.verify", "a skew")
		}
	}

	if pl := m.Pipeline; pl.Strategy == cicheck.StrategyMirror && !pl.GitLab.AtLeast(cicheck.MirrorStrategy) && pl.StrategyPos.Line > 0 {
		d.probs.Addf(Error, pl.StrategyPos, "pipeline.strategy", "gitlab-version", "strategy: mirror needs GitLab %s, and pipeline.gitlab targets %s: on older GitLab the whole child pipeline file is invalid (lib/gitlab/ci/config/entry/trigger.rb); use depend, or raise pipeline.gitlab", cicheck.MirrorStrategy, pl.GitLab)
	}

	for _, f := range m.Features {
		for _, n := range f.Needs {
			switch {
			case n == f.ID:
				d.probs.Addf(Error, f.NeedsPos, "features."+f.ID+".needs", "needs", "%s cannot need itself", f.ID)
			case !features[n]:
				d.probs.Addf(Error, f.NeedsPos, "features."+f.ID+".needs", "unknown-id", "unknown feature %q%s", n, suggest(n, featureIDs(m)))
			}
		}
	}
	d.cycles(m)

	badRule := map[*Rule]bool{}
	for _, r := range m.Rules {
		path := fmt.Sprintf("rules[%d]", r.Index)
		for _, id := range r.Distribution {
			if dists[id] == nil {
				d.probs.Addf(Error, r.MatchPos, path+".match.distribution", "unknown-id", "unknown distribution %q%s", id, suggest(id, distributionIDs(m)))
				badRule[r] = true
			}
		}
		for _, id := range r.Feature {
			if !features[id] {
				d.probs.Addf(Error, r.MatchPos, path+".match.feature", "unknown-id", "unknown feature %q%s", id, suggest(id, featureIDs(m)))
				badRule[r] = true
			}
		}
	}

	if u := m.Upgrades; u != nil {
		d.knownIDs(u.Verify, features, u.Pos, "upgrades.verify", "feature")
		d.verifyNeeds(m, u.Verify, u.Pos, "upgrades.verify", "an upgrade")
		for _, id := range u.Distributions {
			x := dists[id]
			switch {
			case x == nil:
				d.probs.Addf(Error, u.Pos, "upgrades.distributions", "unknown-id", "unknown distribution %q%s", id, suggest(id, distributionIDs(m)))
			case x.Cluster.Type != ClusterEphemeral:
				d.probs.Addf(Error, u.Pos, "upgrades.distributions", "upgrades", "%s has a permanent cluster; upgrade cells need an ephemeral one", id)
			}
		}
	}

	// What follows expands the matrix; on a matrix with other errors its
	// findings would be noise.
	if len(d.probs.Errors()) > 0 {
		return
	}
	plan := Expand(m)
	d.plan = plan
	d.rulesMatch(m, plan, badRule)
	d.manualOnEphemeral(m, plan)
	d.needsWidth(m)
	if m.Upgrades != nil {
		for _, x := range m.Distributions {
			if !upgradesApply(m, x) {
				continue
			}
			offered := m.OfferedMinors(x)
			for i := 0; i+1 < len(offered); i++ {
				from, to := offered[i], offered[i+1]
				if to.Major != from.Major || to.Minor != from.Minor+1 {
					d.probs.Addf(Error, to.Pos, "kubernetes.versions", "upgrade-skip",
						"upgrading %s from %s to %s would skip %d.%d; clusters upgrade one minor at a time, so list every minor in between", x.ID, from, to, from.Major, from.Minor+1)
				}
			}
		}
	}
}

func (d *decoder) knownIDs(ids []string, known map[string]bool, pos Pos, path, what string) {
	for _, id := range ids {
		if !known[id] {
			d.probs.Addf(Error, pos, path, "unknown-id", "unknown %s %q", what, id)
		}
	}
}

// manualOnEphemeral refuses a manual rule that decides a cell of an
// ephemeral distribution. The chain's teardown cannot wait for a manual
// job: in GitLab a job that needs an unplayed manual job is skipped when
// the manual job may fail (allow_failure, status "ignored") and waits,
// blocking the pipeline, when it may not (lib/gitlab/ci/status/composite.rb:
// with dag, any skipped or ignored need makes the job "skipped", any need not
// complete keeps it "pending"). So the cluster is either gone before anyone
// plays the job, which then fails against nothing, or kept running until
// someone does. Manual cells suit permanent clusters only.
func (d *decoder) manualOnEphemeral(m *Matrix, plan *Plan) {
	reported := map[*Rule]bool{}
	for _, c := range plan.Cells {
		r := c.Rule
		if c.Action != ActionManual || r == nil || reported[r] || c.Distribution.Cluster.Type != ClusterEphemeral {
			continue
		}
		reported[r] = true
		d.probs.Addf(Error, r.ActionPos, fmt.Sprintf("rules[%d].action", r.Index), "manual-ephemeral",
			"manual decides %s, but %s's cluster is ephemeral: its teardown cannot wait for a manual job, so the job would find no cluster when played; use allow_failure or exclude there, or narrow the match to permanent clusters",
			c.ID, c.Distribution.ID)
	}
}

// verifyNeeds refuses a verify list whose features need a feature it does
// not list: an upgrade or skew chain runs only its verify features, so the
// needed job would not exist (generate would refuse the chain).
func (d *decoder) verifyNeeds(m *Matrix, verify []string, pos Pos, path, chain string) {
	for _, id := range verify {
		f := m.Feature(id)
		if f == nil {
			continue
		}
		for _, n := range f.Needs {
			if !contains(verify, n) && m.Feature(n) != nil {
				d.probs.Addf(Error, pos, path, "verify-needs", "%s needs %s, which %s does not list; %s chain runs only the features it verifies, so add %s or drop %s", id, n, path, chain, n, id)
			}
		}
	}
}

// needsWidth refuses a feature whose job would need more jobs than
// pipeline.limits.max_needs allows: the chain's prepare job (and an
// upgrade chain's upgrade job) plus the features it needs directly, less
// those another of them needs already (the generator drops them).
func (d *decoder) needsWidth(m *Matrix) {
	upgrading := false
	for _, x := range m.Distributions {
		upgrading = upgrading || upgradesApply(m, x)
	}
	for _, f := range m.Features {
		base := 1
		if upgrading && contains(m.Upgrades.Verify, f.ID) {
			base = 2
		}
		if n := base + len(directNeeds(m, f)); n > m.Pipeline.Limits.MaxNeeds {
			d.probs.Addf(Error, f.NeedsPos, "features."+f.ID+".needs", "max-needs", "the job of %s would need %d jobs, more than pipeline.limits.max_needs %d (at %s)", f.ID, n, m.Pipeline.Limits.MaxNeeds, m.Pipeline.Limits.MaxNeedsPos)
		}
	}
}

// directNeeds returns the features f needs that no other feature it needs
// needs in turn, transitively.
func directNeeds(m *Matrix, f *Feature) []string {
	implied := map[string]bool{}
	var mark func(id string)
	mark = func(id string) {
		nf := m.Feature(id)
		if nf == nil {
			return
		}
		for _, n := range nf.Needs {
			if !implied[n] {
				implied[n] = true
				mark(n)
			}
		}
	}
	for _, n := range f.Needs {
		mark(n)
	}
	var out []string
	for _, n := range f.Needs {
		if !implied[n] {
			out = append(out, n)
		}
	}
	return out
}

// cycles reports each cycle in features' needs once.
func (d *decoder) cycles(m *Matrix) {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var visit func(f *Feature)
	visit = func(f *Feature) {
		color[f.ID] = grey
		stack = append(stack, f.ID)
		for _, n := range f.Needs {
			nf := m.Feature(n)
			if nf == nil || n == f.ID {
				continue
			}
			switch color[n] {
			case grey:
				i := len(stack) - 1
				for stack[i] != n {
					i--
				}
				cycle := append(append([]string{}, stack[i:]...), n)
				first := m.Feature(stack[i])
				d.probs.Addf(Error, first.NeedsPos, "features."+first.ID+".needs", "needs-cycle", "needs form a cycle: %s", strings.Join(cycle, " -> "))
			case white:
				visit(nf)
			}
		}
		stack = stack[:len(stack)-1]
		color[f.ID] = black
	}
	for _, f := range m.Features {
		if color[f.ID] == white {
			visit(f)
		}
	}
}

// rulesMatch checks that every rule names known ids and decides at least one
// cell: a rule that matches nothing, or only cells an earlier rule already
// decides, is a mistake waiting to hide a cell.
func (d *decoder) rulesMatch(m *Matrix, plan *Plan, badRule map[*Rule]bool) {
	decided := map[*Rule]int{}
	for _, c := range plan.Cells {
		if c.Rule != nil {
			decided[c.Rule]++
		}
	}
	for _, r := range m.Rules {
		path := fmt.Sprintf("rules[%d]", r.Index)
		if badRule[r] || decided[r] > 0 {
			continue
		}
		matched, earlier := 0, -1
		for _, x := range m.Distributions {
			for _, v := range m.OfferedMinors(x) {
				for _, f := range m.Features {
					if !f.Kubernetes.Allows(v) || !r.Matches(x.ID, v, f.ID) {
						continue
					}
					matched++
					if first := FirstRule(m.Rules, x.ID, v, f.ID); first != nil && first != r && earlier < 0 {
						earlier = first.Index
					}
				}
			}
		}
		if matched == 0 {
			d.probs.Addf(Error, r.Pos, path, "rule-matches-nothing", "the rule matches no cell: no offered minor of %s runs %s%s", orAny(r.Distribution, "any distribution"), orAny(r.Feature, "any feature"), kubeText(r.Kubernetes))
		} else {
			d.probs.Addf(Error, r.Pos, path, "rule-shadowed", "the rule never applies: every cell it matches is decided first by rules[%d]", earlier)
		}
	}
}

func orAny(ids []string, whenEmpty string) string {
	if len(ids) == 0 {
		return whenEmpty
	}
	return strings.Join(ids, ", ")
}

func kubeText(c *Constraint) string {
	if c == nil {
		return ""
	}
	return " at Kubernetes " + c.Text
}

func minorsText(vs []Minor) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = v.String()
	}
	return strings.Join(s, ", ")
}

func featureIDs(m *Matrix) []string {
	out := make([]string, len(m.Features))
	for i, f := range m.Features {
		out[i] = f.ID
	}
	return out
}

func distributionIDs(m *Matrix) []string {
	out := make([]string, len(m.Distributions))
	for i, x := range m.Distributions {
		out[i] = x.ID
	}
	return out
}

// suggest proposes the closest known id for a misspelt one.
func suggest(id string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if dist := levenshtein(id, k); dist < bestD {
			best, bestD = k, dist
		}
	}
	if best == "" {
		return "; known: " + strings.Join(known, ", ")
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
