package render

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
	"gitlab.com/supportmatrix/supportmatrix/pkg/alert"
	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// digestNow is when the digest fixture is judged: Monday 2027-02-01, an
// hour after the last nightly run.
var digestNow = time.Date(2027, 2, 1, 6, 0, 0, 0, time.UTC)

// nightly is the digest fixture's history: fourteen nightly scheduled runs,
// pipelines 301 (2027-01-19) to 314 (2027-02-01), each finished at 05:00.
// Every cell passes except:
//   - eks/1.34 ran only in the first three runs (its cluster was taken for
//     maintenance): supported, then stale from 2027-01-30;
//   - eks/1.35/runner passed only after a retry in runs 311 and 313: 2 of
//     14 runs flaky (14%), above flaky_above, so the minor went from
//     supported to qualifying although every run passed;
//   - eks/1.36/deploy failed in the last two runs: failing;
//   - aks/1.35/runner failed once (305), undone the next night: 1 of 14
//     (7%), under the threshold;
//   - aks/1.36/monitoring (non-blocking) failed every other night in the
//     first week: flaky, with no effect on the level;
//   - kind/1.36's cluster did not come up in the last run: broken.
func nightly() []results.Run {
	var out []results.Run
	for i := 0; i < 14; i++ {
		id := int64(301 + i)
		finished := time.Date(2027, 1, 19+i, 5, 0, 0, 0, time.UTC)
		run := results.Run{
			Pipeline: id, URL: fmt.Sprintf("https://gitlab.example/product/-/pipelines/%d", id),
			Source: "schedule", Ref: "main", Counts: true, TestReport: true,
			CreatedAt: finished.Add(-time.Hour), FinishedAt: finished,
		}
		job := int64(5000 + 100*i)
		for _, chain := range []string{"eks/1.34", "eks/1.35", "eks/1.36", "aks/1.35", "aks/1.36", "kind/1.35", "kind/1.36"} {
			if chain == "eks/1.34" && id > 303 {
				continue
			}
			for _, feature := range []string{"deploy", "runner", "monitoring"} {
				job++
				cell := chain + "/" + feature
				cr := results.CellResult{Cell: cell, Kind: "test", Status: results.Passed, Attempts: 1,
					JobID: job, JobURL: fmt.Sprintf("https://gitlab.example/product/-/jobs/%d", job)}
				switch {
				case cell == "eks/1.35/runner" && (id == 311 || id == 313):
					cr.Attempts = 2
				case cell == "eks/1.36/deploy" && id >= 313:
					cr.Status = results.Failed
				case cell == "aks/1.35/runner" && id == 305:
					cr.Status = results.Failed
				case cell == "aks/1.36/monitoring" && id <= 308 && id%2 == 0:
					cr.Status = results.Failed
				case chain == "kind/1.36" && id == 314:
					cr.Status, cr.Attempts, cr.Reason = results.Broken, 0, "cluster did not come up"
				}
				run.Cells = append(run.Cells, cr)
			}
		}
		if id == 314 {
			run.Infra = []results.InfraResult{{Chain: "kind/1.36", Step: results.StepProvision, Kubernetes: "1.36",
				Reason: "cluster did not come up", JobID: 9999, JobURL: "https://gitlab.example/product/-/jobs/9999"}}
		}
		out = append(out, run)
	}
	return out
}

// digestFixture builds the fixture's report at digestNow and its level
// log as `publish --commit` would have kept it: appended after each run
// but the last (collected, not yet published). The report and alerts are
// built afresh for each caller; the log's bytes come from digestLog.
func digestFixture(t *testing.T) (*report.Report, []report.LogEntry, []report.DigestAlert) {
	t.Helper()
	m, err := matrix.Load(digestMatrix)
	if err != nil {
		t.Fatal(err)
	}
	log, err := digestLog()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := report.ParseLog(report.LogFile, log)
	if err != nil {
		t.Fatal(err)
	}
	f := results.New()
	for _, r := range nightly() {
		f.Merge(r)
	}
	r := buildDigestReport(m, f, digestNow)
	return r, entries, alert.ForDigest(alert.Evaluate(m, f, r, digestNow))
}

// digestMatrix is the digest fixture's matrix.
const digestMatrix = "testdata/digest/matrix.yaml"

// buildDigestReport builds a report of the digest fixture as `supportmatrix
// render` and `publish` build it: requirements judged by the docs audit of
// testdata/digest/repo.
func buildDigestReport(m *matrix.Matrix, f *results.File, now time.Time) *report.Report {
	r, _ := docs.BuildReport(m, f, "testdata/digest/repo", report.Options{Now: now})
	return r
}

// digestLog is the digest fixture's level log, one report per run but the
// last, built once per test binary: thirteen reports are most of the
// fixture's cost, and five tests read it. Callers get the bytes, which
// nobody writes, and parse them themselves.
var digestLog = sync.OnceValues(func() ([]byte, error) {
	m, err := matrix.Load(digestMatrix)
	if err != nil {
		return nil, err
	}
	runs := nightly()
	var log []byte
	for i := range runs[:len(runs)-1] {
		f := results.New()
		for _, r := range runs[:i+1] {
			f.Merge(r)
		}
		if log, _, err = report.UpdateLog(report.LogFile, log, buildDigestReport(m, f, runs[i].FinishedAt)); err != nil {
			return nil, err
		}
	}
	return log, nil
})

func TestDigestGolden(t *testing.T) {
	t.Parallel()
	r, log, alerts := digestFixture(t)
	d := report.BuildDigest(r, log, time.Time{}, alerts)
	golden.Assert(t, "digest.md.golden", Digest(d))
	if again := Digest(report.BuildDigest(r, log, time.Time{}, alerts)); !bytes.Equal(again, Digest(d)) {
		t.Error("two digests of the same inputs differ")
	}
}

// TestDigestContent pins what the fixture is meant to show, so that a
// golden refresh cannot silently lose it.
func TestDigestContent(t *testing.T) {
	t.Parallel()
	r, log, alerts := digestFixture(t)
	d := report.BuildDigest(r, log, time.Time{}, alerts)
	var changes []string
	for _, e := range d.Changes {
		changes = append(changes, fmt.Sprintf("%s %s->%s %s", e.Cell, e.From, e.To, e.At.Format("01-02")))
	}
	want := "eks/1.34 supported->stale 01-30, eks/1.35 supported->qualifying 01-31, eks/1.36 supported->failing 01-31"
	if got := strings.Join(changes, ", "); got != want {
		t.Errorf("changes since %s:\n got %s\nwant %s", d.Since, got, want)
	}
	if len(d.Pending) != 1 || d.Pending[0].Cell != "kind/1.36" || d.Pending[0].To != report.Broken {
		t.Errorf("pending %+v, want kind/1.36 -> broken (run 314 is not published yet)", d.Pending)
	}
	// eks/1.36/deploy failed two runs in a row (alert_after 2); eks/1.34
	// had no run for 11 days (alert_stale: max_age 8d); kind/1.36's one
	// outage is under alert_after.
	var fired []string
	for _, a := range d.Alerts {
		fired = append(fired, a.Key+": "+a.What)
	}
	if got := strings.Join(fired, "; "); got != "eks/1.34: no counting run for 11d; eks/1.36: `deploy` failed 2 or more counting runs in a row" {
		t.Errorf("alerts: %s", got)
	}
	var flaky []string
	for _, c := range d.Flaky {
		flaky = append(flaky, fmt.Sprintf("%s %s %v", c.ID, report.FormatRate(c.Flake.Rate), c.Flake.Above))
	}
	if got := strings.Join(flaky, ", "); got != "aks/1.36/monitoring 50% true, eks/1.35/runner 14% true, aks/1.35/runner 7% false" {
		t.Errorf("flakiest: %s", got)
	}
	if len(d.Stale) != 1 || d.Stale[0].Key() != "eks/1.34" {
		t.Errorf("stale %+v, want eks/1.34", d.Stale)
	}
	var cal []string
	for _, e := range d.Calendar {
		cal = append(cal, e.On.Format("2006-01-02")+" "+e.Subject)
	}
	if got := strings.Join(cal, ", "); got != "2027-02-28 1.35, 2027-02-28 aks/1.35, 2027-02-28 kind/1.35, 2027-03-27 eks/1.35" {
		t.Errorf("calendar before %s: %s", d.Horizon.Format("2006-01-02"), got)
	}
	// --since: a digest since the last one, three days ago, has fewer
	// changes; one since the start has all of them.
	if n := len(report.BuildDigest(r, log, digestNow.Add(-36*time.Hour), nil).Changes); n != 2 {
		t.Errorf("changes in the last 36 hours: %d, want 2", n)
	}
	if n := len(report.BuildDigest(r, log, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), nil).Changes); n != len(log) {
		t.Errorf("changes since January: %d, want every entry (%d)", n, len(log))
	}
}

// TestDigestWithoutTime: no result and no --now leave nothing to digest
// and no day to read the calendar on; the digest says so and lists
// nothing, rather than dates in year 0.
func TestDigestWithoutTime(t *testing.T) {
	t.Parallel()
	m, err := matrix.Load("testdata/digest/matrix.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := docs.BuildReport(m, results.New(), "testdata/digest/repo", report.Options{})
	out := string(Digest(report.BuildDigest(r, nil, time.Time{}, nil)))
	if !strings.Contains(out, "nothing to digest yet") || strings.Contains(out, "0000-") || strings.Contains(out, "0001-") {
		t.Errorf("digest of an empty history without --now:\n%s", out)
	}
	// With --now, an empty history gets every section, each saying none.
	r, _ = docs.BuildReport(m, results.New(), "testdata/digest/repo", report.Options{Now: digestNow})
	out = string(Digest(report.BuildDigest(r, nil, time.Time{}, nil)))
	for _, s := range []string{"No level changed.", "No distribution × minor meets its alert condition", "No cell flaked", "Nothing is stale", "2027-02-28, `1.35`"} {
		if !strings.Contains(out, s) {
			t.Errorf("digest of an empty history at --now lacks %q:\n%s", s, out)
		}
	}
}
