package report

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// t0 is the finish time of the fixture's day-0 run.
var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func day(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }

// run builds a counting run finished on day d; each cell is "id=status",
// with an optional "*N" for N attempts.
func run(pipeline int64, d int, cells ...string) results.Run {
	r := results.Run{Pipeline: pipeline, Source: "schedule", Ref: "main", Counts: true, FinishedAt: day(d)}
	for _, c := range cells {
		id, st, _ := strings.Cut(c, "=")
		cr := results.CellResult{Cell: id, Kind: "test", JobURL: "https://gitlab.example/jobs/" + strconv.FormatInt(pipeline, 10)}
		if s, n, ok := strings.Cut(st, "*"); ok {
			st = s
			cr.Attempts, _ = strconv.Atoi(n)
		}
		cr.Status = results.Status(st)
		r.Cells = append(r.Cells, cr)
	}
	return r
}

func partial(r results.Run) results.Run { r.Partial = true; return r }

// broken gives every broken cell of r the reason, and records the failed
// connect job of its chains, as collect does.
func broken(r results.Run, reason string) results.Run {
	chains := map[string]bool{}
	for i := range r.Cells {
		if r.Cells[i].Status == results.Broken {
			r.Cells[i].Reason = reason
			id := r.Cells[i].Cell
			chain := id[:strings.LastIndex(id, "/")]
			if !chains[chain] {
				chains[chain] = true
				r.Infra = append(r.Infra, results.InfraResult{Chain: chain, Step: results.StepConnect, Reason: reason})
			}
		}
	}
	return r
}

func preview(r results.Run) results.Run {
	r.Counts, r.Source, r.Ref, r.MR = false, "merge_request_event", "refs/merge-requests/7/head", 7
	return r
}

// gke builds the gke/1.35 cells with the given deploy, runner and
// monitoring statuses ("" leaves the cell out).
func gke(deploy, runner, monitoring string) []string {
	var out []string
	for _, p := range [][2]string{{"deploy", deploy}, {"runner", runner}, {"monitoring", monitoring}} {
		if p[1] != "" {
			out = append(out, "gke/1.35/"+p[0]+"="+p[1])
		}
	}
	return out
}

// history builds n gke/1.35 runs a day apart, ending on day 14, every
// cell passing except runner in the runs (1 is the oldest) that odd names.
func history(n int, odd map[int]string) []results.Run {
	var out []results.Run
	for i := 1; i <= n; i++ {
		runner := "passed"
		if s, ok := odd[i]; ok {
			runner = s
		}
		out = append(out, run(int64(i), 14-n+i, gke("passed", runner, "passed")...))
	}
	return out
}

func green(pipeline int64, d int) results.Run {
	return run(pipeline, d, gke("passed", "passed", "passed")...)
}

func loadFixture(t *testing.T) *matrix.Matrix {
	t.Helper()
	m, err := matrix.Load("testdata/matrix.yaml")
	if err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	return m
}

// judged stands in for the docs audit (pkg/docs's Audit.Requirement, the
// one implementation; pkg/docs imports this package, so these tests cannot
// call it): every requirement holds except eks's docs page.
func judged(distID, name string) (bool, string) {
	if distID == "eks" && name == matrix.RequireDocs {
		return false, "docs page docs/eks.md does not exist"
	}
	return true, name + " holds"
}

func file(runs ...results.Run) *results.File {
	f := results.New()
	for _, r := range runs {
		f.Merge(r)
	}
	return f
}

func version(t *testing.T, r *Report, dist, minor string) *Version {
	t.Helper()
	for _, d := range r.Distributions {
		if d.ID != dist {
			continue
		}
		for _, v := range d.Versions {
			if v.Kubernetes.String() == minor {
				return v
			}
		}
	}
	t.Fatalf("no %s/%s in the report", dist, minor)
	return nil
}

func cellStatus(v *Version, feature string) results.Status {
	for _, c := range v.Cells {
		if c.Label == feature {
			return c.Status
		}
	}
	return "missing"
}

func TestLevels(t *testing.T) {
	tests := []struct {
		name      string
		runs      []results.Run
		now       time.Time
		chain     string // dist/minor; default gke/1.35
		level     Level
		green     int
		statuses  map[string]results.Status
		reasonHas string
	}{
		{name: "no runs is untested", level: Untested,
			statuses: map[string]results.Status{"deploy": results.NotRun, "runner": results.NotRun, "monitoring": results.NotRun}},
		{name: "three green runs is supported", runs: []results.Run{green(1, 0), green(2, 7), green(3, 14)},
			level: Supported, green: 3, statuses: map[string]results.Status{"deploy": results.Passed}},
		{name: "two green runs is qualifying", runs: []results.Run{green(2, 7), green(3, 14)},
			level: Qualifying, green: 2, reasonHas: "2 of 3 green runs"},
		{name: "a failed run ends the streak", runs: []results.Run{green(1, 0), run(2, 7, gke("failed", "passed", "passed")...), green(3, 14), green(4, 21)},
			level: Qualifying, green: 2},
		{name: "blocking failure is failing", runs: []results.Run{green(1, 0), green(2, 7), run(3, 14, gke("passed", "failed", "passed")...)},
			level: Failing, green: 0, statuses: map[string]results.Status{"runner": results.Failed}, reasonHas: "runner failed in pipeline #3"},
		{name: "non-blocking failure never decides", runs: []results.Run{green(1, 0), green(2, 7), run(3, 14, gke("passed", "passed", "failed")...)},
			level: Supported, green: 3, statuses: map[string]results.Status{"monitoring": results.Failed}},
		{name: "non-blocking pass never lifts", runs: []results.Run{run(1, 14, gke("", "", "passed")...)},
			level: Untested, statuses: map[string]results.Status{"monitoring": results.Passed, "deploy": results.NotRun}},
		{name: "max_age boundary is fresh", runs: []results.Run{green(1, 0), green(2, 7), green(3, 14)}, now: day(22),
			level: Supported, green: 3},
		{name: "one second past max_age is stale", runs: []results.Run{green(1, 0), green(2, 7), green(3, 14)}, now: day(22).Add(time.Second),
			level: Stale, green: 3, statuses: map[string]results.Status{"deploy": results.Stale}, reasonHas: "older than max_age 8d"},
		{name: "an old failure is stale, not failing", runs: []results.Run{run(1, 0, gke("failed", "passed", "passed")...)}, now: day(9),
			level: Stale, statuses: map[string]results.Status{"deploy": results.Stale}},
		{name: "a fresh failure beats a stale pass", runs: []results.Run{green(1, 0), run(2, 9, gke("failed", "", "")...)}, now: day(10),
			level: Failing, statuses: map[string]results.Status{"deploy": results.Failed, "runner": results.Stale}},
		{name: "partial run counts only for its cells", runs: []results.Run{green(1, 0), green(2, 7), green(3, 14), partial(run(4, 15, gke("", "passed", "")...))},
			level: Supported, green: 3},
		{name: "partial run failure is failing", runs: []results.Run{green(1, 0), green(2, 7), green(3, 14), partial(run(4, 15, gke("", "failed", "")...))},
			level: Failing, green: 0, statuses: map[string]results.Status{"runner": results.Failed, "deploy": results.Passed}},
		{name: "partial run covering every blocking feature counts", runs: []results.Run{green(2, 7), green(3, 14), partial(run(4, 15, gke("passed", "passed", "")...))},
			level: Supported, green: 3},
		{name: "merge request previews are ignored", runs: []results.Run{green(1, 0), green(2, 7), green(3, 14), preview(run(4, 15, gke("failed", "failed", "failed")...))},
			level: Supported, green: 3, statuses: map[string]results.Status{"deploy": results.Passed}},
		{name: "a preview alone leaves the minor untested", runs: []results.Run{preview(green(4, 15))},
			level: Untested, statuses: map[string]results.Status{"deploy": results.NotRun}},
		{name: "a missing result is not_run, never passed", runs: []results.Run{run(1, 0, gke("passed", "", "passed")...), run(2, 7, gke("passed", "", "passed")...), run(3, 14, gke("passed", "", "passed")...)},
			level: Untested, green: 0, statuses: map[string]results.Status{"runner": results.NotRun}, reasonHas: "without a result yet: runner"},
		{name: "a canceled job keeps the level but ends the streak", runs: []results.Run{green(1, 0), green(2, 7), green(3, 14), run(4, 15, gke("passed", "canceled", "passed")...)},
			level: Qualifying, green: 0, statuses: map[string]results.Status{"runner": results.Canceled}},
		// FlakyKeepsQualifying: one retried pass in three runs is a flake
		// rate of 33%, above flaky_above: not a clean pass.
		{name: "a pass after a retry is flaky and keeps the level qualifying", runs: []results.Run{green(1, 0), green(2, 7), run(3, 14, gke("passed", "passed*2", "passed")...)},
			level: Qualifying, green: 3, statuses: map[string]results.Status{"runner": results.Flaky}, reasonHas: "runner flaky: 1 of 3 runs flaky (33%), above flaky_above 10%"},
		{name: "one retry in twelve runs is under flaky_above", runs: history(12, map[int]string{2: "passed*2"}),
			level: Supported, green: 3, statuses: map[string]results.Status{"runner": results.Passed}},
		// One red night the next night undid, among eight: 12.5% flaky,
		// so the cell reads flaky although its newest three runs passed.
		{name: "a one-night failure among eight runs is flaky although the newest passed", runs: history(8, map[int]string{4: "failed"}),
			level: Qualifying, green: 3, statuses: map[string]results.Status{"runner": results.Flaky}, reasonHas: "runner flaky: 1 of 8 runs flaky (12%)"},
		{name: "a lasting break, then a fix, is not flakiness", runs: history(9, map[int]string{3: "failed", 4: "failed", 5: "failed"}),
			level: Supported, green: 3, statuses: map[string]results.Status{"runner": results.Passed}},
		{name: "a beta flaky cell keeps the tier and says so", chain: "kind/1.36", runs: []results.Run{
			run(1, 12, "kind/1.36/deploy=passed", "kind/1.36/runner=passed"), run(2, 13, "kind/1.36/deploy=passed", "kind/1.36/runner=failed"), run(3, 14, "kind/1.36/deploy=passed", "kind/1.36/runner=passed")},
			level: Community, green: 1, statuses: map[string]results.Status{"runner": results.Flaky}, reasonHas: "but runner flaky: 1 of 3 runs flaky (33%)"},
		{name: "flipping across runs is flaky", runs: []results.Run{green(1, 0), run(2, 7, gke("passed", "failed", "passed")...), green(3, 14)},
			level: Qualifying, green: 1, statuses: map[string]results.Status{"runner": results.Flaky}},
		{name: "not offered is n/a", chain: "gke/1.34", runs: []results.Run{green(1, 0)}, level: NotApplicable},
		{name: "official without its docs page is qualifying", chain: "eks/1.35",
			runs:  []results.Run{run(1, 0, "eks/1.35/deploy=passed"), run(2, 7, "eks/1.35/deploy=passed"), run(3, 14, "eks/1.35/deploy=passed")},
			level: Qualifying, green: 3, reasonHas: "docs page docs/eks.md does not exist"},
		{name: "allow_failure cells never decide", chain: "eks/1.35",
			runs:  []results.Run{run(1, 14, "eks/1.35/deploy=passed", "eks/1.35/runner=failed")},
			level: Qualifying, green: 1, statuses: map[string]results.Status{"runner": results.AllowedFailure}},
		{name: "community tier passing is community", chain: "kind/1.36", runs: []results.Run{run(1, 14, "kind/1.36/deploy=passed", "kind/1.36/runner=passed")},
			level: Community, green: 1},
		{name: "community tier failing is failing", chain: "kind/1.36", runs: []results.Run{run(1, 14, "kind/1.36/deploy=passed", "kind/1.36/runner=failed")},
			level: Failing},
		{name: "more green runs than required count as required", runs: []results.Run{green(1, 0), green(2, 2), green(3, 4), green(4, 6), green(5, 7)},
			level: Supported, green: 3},
		// A permanent cluster the provider upgraded: connect fails, every
		// feature is broken, and earlier green runs prove nothing now.
		{name: "provider-upgraded cluster is broken, not qualifying", runs: []results.Run{green(1, 0), green(2, 7), broken(run(3, 14, gke("broken", "broken", "broken")...), "cluster runs 1.36 (v1.36.2), not 1.35")},
			level: Broken, green: 2, statuses: map[string]results.Status{"deploy": results.Broken, "runner": results.Broken}, reasonHas: "cluster runs 1.36 (v1.36.2), not 1.35 in pipeline #3: nothing was proven"},
		{name: "a cluster that never came up is broken", runs: []results.Run{broken(run(1, 14, gke("broken", "broken", "broken")...), "cluster did not come up")},
			level: Broken, statuses: map[string]results.Status{"deploy": results.Broken}, reasonHas: "cluster did not come up in pipeline #1"},
		{name: "a broken run neither extends nor ends the streak", runs: []results.Run{green(1, 0), green(2, 5), broken(run(3, 6, gke("broken", "broken", "broken")...), "cluster did not come up"), green(4, 7)},
			level: Supported, green: 3},
		{name: "a failure beats a broken cluster", runs: []results.Run{broken(run(1, 13, gke("broken", "broken", "")...), "cluster did not come up"), partial(run(2, 14, gke("failed", "", "")...))},
			level: Failing, statuses: map[string]results.Status{"deploy": results.Failed, "runner": results.Broken}},
		{name: "an old broken run is stale", runs: []results.Run{broken(run(1, 0, gke("broken", "broken", "broken")...), "cluster did not come up")}, now: day(10),
			level: Stale, reasonHas: "deploy (last broken"},
		// Judged ten days after the last run: the table decays to stale
		// on its own, with the time it was judged at.
		{name: "judged 10 days after the last run is stale", runs: []results.Run{green(1, 0), green(2, 7), green(3, 14)}, now: day(24),
			level: Stale, green: 3, reasonHas: "older than max_age 8d at 2026-05-25 12:00 UTC"},
	}
	m := loadFixture(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			chain := tc.chain
			if chain == "" {
				chain = "gke/1.35"
			}
			dist, minor, _ := strings.Cut(chain, "/")
			r := Build(m, file(tc.runs...), Options{Now: tc.now, Requirement: judged})
			v := version(t, r, dist, minor)
			if v.Level != tc.level {
				t.Errorf("level = %s (%s), want %s", v.Level, v.Reason, tc.level)
			}
			if v.GreenRuns != tc.green {
				t.Errorf("green runs = %d, want %d", v.GreenRuns, tc.green)
			}
			for feature, want := range tc.statuses {
				if got := cellStatus(v, feature); got != want {
					t.Errorf("%s status = %s, want %s", feature, got, want)
				}
			}
			if tc.reasonHas != "" && !strings.Contains(v.Reason, tc.reasonHas) {
				t.Errorf("reason %q lacks %q", v.Reason, tc.reasonHas)
			}
		})
	}
}

// TestEveryLevelReachable guards the level table: each level SPEC names
// must come out of at least one case above or here.
func TestEveryLevelReachable(t *testing.T) {
	m := loadFixture(t)
	m.Distribution("kind").Tier = matrix.TierBeta
	f := file(
		green(1, 0), green(2, 7), green(3, 14),
		run(4, 14, "eks/1.36/deploy=passed", "kind/1.36/deploy=passed", "kind/1.36/runner=passed", "kind/1.35/deploy=failed"),
		run(5, 1, "eks/1.34/deploy=passed"),
		broken(run(6, 14, "eks/1.35/deploy=broken"), "cluster did not come up"),
	)
	r := Build(m, f, Options{Requirement: judged})
	seen := map[Level]bool{}
	for _, d := range r.Distributions {
		for _, v := range d.Versions {
			seen[v.Level] = true
		}
	}
	m.Distribution("kind").Tier = matrix.TierDeprecated
	for _, v := range Build(m, f, Options{Requirement: judged}).Distributions[2].Versions {
		seen[v.Level] = true
	}
	m.Distribution("kind").Tier = matrix.TierCommunity
	for _, v := range Build(m, f, Options{Requirement: judged}).Distributions[2].Versions {
		seen[v.Level] = true
	}
	for _, l := range Levels {
		if !seen[l] {
			t.Errorf("level %s not reached", l)
		}
	}
}

// TestRequirements: Build asks Options.Requirement about each requirement
// of the tier's policy, in policy order, and without it nothing is met.
func TestRequirements(t *testing.T) {
	m := loadFixture(t)
	var asked []string
	r := Build(m, nil, Options{Requirement: func(distID, name string) (bool, string) {
		asked = append(asked, distID+" "+name)
		return judged(distID, name)
	}})
	want := []string{"gke docs", "gke settings", "gke permanent-cluster", "eks docs", "eks settings", "eks permanent-cluster"}
	if !slices.Equal(asked, want) {
		t.Errorf("asked %v, want %v (community requires nothing)", asked, want)
	}
	if d := r.Distributions[0]; !d.RequirementsMet() {
		t.Errorf("gke: missing %v, want every requirement met", d.Missing())
	}
	if d := r.Distributions[1]; d.RequirementsMet() || !strings.Contains(strings.Join(d.Missing(), "; "), "docs page docs/eks.md does not exist") {
		t.Errorf("eks: missing %v, want the docs page", d.Missing())
	}
	for _, d := range Build(m, nil, Options{}).Distributions[:2] {
		if d.RequirementsMet() || !strings.Contains(strings.Join(d.Missing(), "; "), "not checked") {
			t.Errorf("%s without a judge: missing %v, want every requirement unmet, not checked", d.ID, d.Missing())
		}
	}
	if kind := r.Distributions[2]; len(kind.Requirements) != 0 {
		t.Errorf("community tier without a policy got requirements %v", kind.Requirements)
	}
}

func TestNowDefaultsToNewestResult(t *testing.T) {
	m := loadFixture(t)
	r := Build(m, file(green(1, 0), preview(green(2, 30))), Options{})
	if !r.Now.Equal(day(30)) {
		t.Errorf("now = %s, want the newest FinishedAt %s", r.Now, day(30))
	}
	if r.LastRun == nil || r.LastRun.Pipeline != 1 {
		t.Errorf("last run = %+v, want the newest counting run (1)", r.LastRun)
	}
	if v := version(t, r, "gke", "1.35"); v.Level != Stale {
		t.Errorf("level = %s, want stale: the preview 30 days later moves now", v.Level)
	}
}

func TestSummary(t *testing.T) {
	m := loadFixture(t)
	r := Build(m, file(green(1, 0), green(2, 7), green(3, 14), run(4, 14, "gke/1.36/deploy=failed")), Options{Requirement: judged})
	level, minors := r.Distributions[0].Summary()
	if level != Supported || len(minors) != 1 || minors[0].String() != "1.35" {
		t.Errorf("summary = %s %v, want supported [1.35]", level, minors)
	}
	level, minors = r.Distributions[2].Summary()
	if level != Untested || len(minors) != 3 {
		t.Errorf("kind summary = %s %v, want untested on 3 minors", level, minors)
	}
}

// BenchmarkBuild measures a report over a full history: the fixture matrix
// with results.KeepCounting counting runs of every cell.
func BenchmarkBuild(b *testing.B) {
	m, err := matrix.Load("testdata/matrix.yaml")
	if err != nil {
		b.Fatal(err)
	}
	plan := matrix.Expand(m)
	f := results.New()
	for i := 0; i < results.KeepCounting; i++ {
		var cells []string
		for _, c := range plan.Cells {
			cells = append(cells, c.ID+"=passed")
		}
		f.Merge(run(int64(i+1), i, cells...))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Build(m, f, Options{Requirement: judged})
	}
}

// TestEvidence checks what traces each level to its runs: the run that
// decided it, and the failed cluster jobs shown beside it.
func TestEvidence(t *testing.T) {
	m := loadFixture(t)
	teardown := run(4, 15, "kind/1.36/deploy=passed", "kind/1.36/runner=passed")
	teardown.Infra = []results.InfraResult{{Chain: "kind/1.36", Step: results.StepTeardown, Reason: "the cluster may still be running (and costing money)"}}
	upgrade := run(5, 15, "kind/1.35->1.36=broken")
	upgrade.Infra = []results.InfraResult{{Chain: "kind/1.35->1.36", Step: results.StepUpgrade, Kubernetes: "1.36", Reason: "control plane upgrade to 1.36 failed"}}
	f := file(green(1, 0), green(2, 7), run(3, 14, gke("failed", "passed", "")...), teardown, upgrade)
	r := Build(m, f, Options{Requirement: judged})
	if v := version(t, r, "gke", "1.35"); v.DecidedBy == nil || v.DecidedBy.Pipeline != 3 {
		t.Errorf("failing gke/1.35 decided by %+v, want the failing pipeline #3", v.DecidedBy)
	}
	// A teardown that failed after green features leaves the level alone
	// and is shown beside it.
	v := version(t, r, "kind", "1.36")
	if v.Level != Community || v.DecidedBy == nil || v.DecidedBy.Pipeline != 4 {
		t.Errorf("kind/1.36: %s decided by %+v, want community by pipeline #4", v.Level, v.DecidedBy)
	}
	if len(v.Infra) != 1 || v.Infra[0].Step != results.StepTeardown || v.Infra[0].Run.Pipeline != 4 {
		t.Errorf("kind/1.36 infra %+v, want the failed teardown of pipeline #4", v.Infra)
	}
	// A failed upgrade makes the upgrade cell broken; levels never rest
	// on upgrade cells.
	kind := r.Distributions[2]
	if len(kind.Upgrades) != 2 || kind.Upgrades[1].Status != results.Broken || len(kind.Upgrades[1].Infra) != 1 {
		t.Errorf("upgrade cells %+v, want kind/1.35->1.36 broken with its failed upgrade job", kind.Upgrades)
	}
	if n := len(kind.Infra()); n != 2 {
		t.Errorf("kind shows %d cluster failures, want 2 (teardown, upgrade)", n)
	}
	if v := version(t, r, "gke", "1.36"); v.DecidedBy != nil {
		t.Errorf("untested gke/1.36 decided by %+v, want none", v.DecidedBy)
	}
}

// TestLocalView: local runs decide levels in run --local's own history,
// and nowhere else.
func TestLocalView(t *testing.T) {
	m := loadFixture(t)
	local := func(id int64, d int, status string) results.Run {
		r := run(id, d, gke(status, "passed", "passed")...)
		r.Counts, r.Local, r.Source = false, true, "local"
		return r
	}
	f := file(local(1, 0, "passed"), local(2, 1, "failed"), local(3, 2, "passed"))
	if v := version(t, Build(m, f, Options{Requirement: judged}), "gke", "1.35"); v.Level != Untested {
		t.Errorf("published view: %s, want untested: local runs never count", v.Level)
	}
	r := Build(m, f, Options{Requirement: judged, Local: true})
	v := version(t, r, "gke", "1.35")
	if v.Level != Qualifying || v.GreenRuns != 1 || cellStatus(v, "deploy") != results.Flaky {
		t.Errorf("local view: %s with %d green runs, deploy %s; want qualifying, 1, flaky across runs", v.Level, v.GreenRuns, cellStatus(v, "deploy"))
	}
	if !r.Local || r.LastRun == nil || r.LastRun.Name() != "local run #3" {
		t.Errorf("local view's last run %+v", r.LastRun)
	}
}
