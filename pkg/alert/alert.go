// Package alert decides, from the matrix and the run history, which
// distribution × Kubernetes minor needs a person's attention, and keeps one
// GitLab issue per such cell in step with it: opened when a blocking
// feature has failed policy.alert_after counting runs in a row, when the
// cluster did not come up that many runs in a row, or when a supported or
// qualifying cell has had no counting run for policy.alert_stale; updated
// on later runs; closed with a note when every blocking feature passes
// again. The owners of the distribution and of the failing features are
// mentioned.
//
// An issue is found again by a hidden marker in its description
// (<!-- supportmatrix:alert gke/1.35 -->) among the open issues carrying
// the label, never by its title, so people may retitle it. Two publishes
// that race both list, both create, and both list again: the oldest issue
// (lowest iid) is kept and the younger closed as its duplicate, so the
// project ends with one open issue per cell whatever the interleaving.
//
// Evaluate is a pure function of its inputs; Sync is the only part that
// talks to GitLab.
package alert

import (
	"slices"
	"strings"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// Alert is the state of one offered distribution × minor, alerting or not.
type Alert struct {
	// Key is "gke/1.35": the distribution id and the minor.
	Key          string
	Distribution string // the distribution's id
	Name         string // the distribution's name
	Tier         matrix.Tier
	Minor        matrix.Minor
	ReleaseName  string
	Level        report.Level
	Reason       string // why the level is what it is
	// Owners are the mentions to notify: the distribution's owners, then
	// the owners of its failing features, each once.
	Owners []string
	// AlertAfter and AlertStale are the tier's policy.
	AlertAfter int
	AlertStale matrix.Duration
	// Failures are the blocking features whose newest decisive results
	// failed, AlertAfter or more counting runs in a row (a run whose
	// cluster did not come up neither extends nor ends the streak), in
	// feature order. Failing lists every blocking feature whose newest
	// decisive result failed, the streak short of AlertAfter included.
	Failures []Failure
	Failing  []Failure
	// Outage is set when the cluster did not come up (could not be
	// reached, ran another minor) in AlertAfter or more counting runs in a
	// row: infrastructure, not a product failure.
	Outage *Outage
	// Stale is set when the cell is supported or qualifying (or went
	// stale from there) and its newest counting run is older than
	// AlertStale.
	Stale *Stale
	// Green tells that every blocking feature's newest decisive result
	// passed and the newest run's cluster came up: an open issue closes.
	Green bool
	// Newest is the newest counting run that recorded a blocking feature
	// of the cell, nil when none did.
	Newest *report.RunRef
}

// Failure is one blocking feature failing in consecutive counting runs.
type Failure struct {
	Feature string // id
	Name    string
	Cell    string // gke/1.35/runner
	// Runs is how many counting runs in a row it failed, newest first.
	Runs int
	// First is the oldest run of the streak, with its job; Last the
	// newest, with its job.
	First, Last       report.RunRef
	FirstJob, LastJob string
	FailureReason     string // GitLab's failure_reason of the newest job
}

// Outage is the cluster not coming up in consecutive counting runs.
type Outage struct {
	Runs        int
	First, Last report.RunRef
	// Infra are the newest run's failed cluster jobs of the chain.
	Infra []results.InfraResult
}

// Stale is a passing cell without a recent counting run.
type Stale struct {
	// Since is the newest counting run that recorded a decisive result.
	Since report.RunRef
	// For is how long ago, at the time the alerts were judged.
	For time.Duration
}

// Firing reports whether the cell needs an issue.
func (a *Alert) Firing() bool { return len(a.Failures) > 0 || a.Outage != nil || a.Stale != nil }

// Evaluate returns the alert state of every offered distribution × minor,
// in table order. rep is the report of m and hist judged at now (the same
// inputs), which gives the levels and the deciding cells.
func Evaluate(m *matrix.Matrix, hist *results.File, rep *report.Report, now time.Time) []Alert {
	runs := hist.Counting()
	var out []Alert
	for _, d := range rep.Distributions {
		md := m.Distribution(d.ID)
		pol := m.PolicyFor(d.Tier)
		for _, v := range d.Versions {
			if !v.Offered {
				continue
			}
			a := Alert{
				Key: d.ID + "/" + v.Kubernetes.String(), Distribution: d.ID, Name: d.Name, Tier: d.Tier,
				Minor: v.Kubernetes, ReleaseName: v.ReleaseName, Level: v.Level, Reason: v.Reason,
				AlertAfter: pol.AlertAfter, AlertStale: pol.AlertStale, Green: true,
			}
			var deciding []*report.Cell
			for _, c := range v.Cells {
				if c.Deciding {
					deciding = append(deciding, c)
				}
			}
			for _, c := range deciding {
				f, newest := streak(runs, c)
				if newest == results.Failed || newest == results.Broken {
					a.Green = false
				}
				if f.Runs > 0 {
					a.Failing = append(a.Failing, f)
					if a.AlertAfter > 0 && f.Runs >= a.AlertAfter {
						a.Failures = append(a.Failures, f)
					}
				}
			}
			a.Newest, a.Outage = outage(runs, a.Key, deciding)
			if a.Outage != nil && (a.AlertAfter == 0 || a.Outage.Runs < a.AlertAfter) {
				a.Outage = nil
			}
			if a.AlertStale.D > 0 && v.LastVerified != nil && now.Sub(v.LastVerified.FinishedAt) > a.AlertStale.D &&
				(v.Level == report.Supported || v.Level == report.Qualifying || v.Level == report.Stale) {
				a.Stale = &Stale{Since: *v.LastVerified, For: now.Sub(v.LastVerified.FinishedAt)}
			}
			a.Owners = owners(md, m, a.Failing)
			out = append(out, a)
		}
	}
	return out
}

// streak returns cell c's failure streak over the counting runs (newest
// first) and its newest decisive status. Results that decide nothing
// (skipped, canceled, not run) are passed over; so is a broken cluster,
// which proved nothing either way (report.BrokenBreaksStreak's rule for
// green streaks, applied to red ones).
func streak(runs []results.Run, c *report.Cell) (Failure, results.Status) {
	f := Failure{Cell: c.ID}
	if c.Feature != nil {
		f.Feature, f.Name = c.Feature.ID, c.Feature.Name
	}
	var newest results.Status
	for i := range runs {
		cr := runs[i].Cell(c.ID)
		if cr == nil || !report.Decisive(cr.Status) {
			continue
		}
		if newest == "" {
			newest = cr.Status
		}
		if cr.Status == results.Broken {
			continue
		}
		if report.Passing(cr.Status) {
			break
		}
		f.Runs++
		f.First, f.FirstJob = report.RefOf(&runs[i]), cr.JobURL
		if f.Runs == 1 {
			f.Last, f.LastJob, f.FailureReason = f.First, cr.JobURL, cr.FailureReason
		}
	}
	return f, newest
}

// outage returns the newest counting run that recorded a deciding cell,
// and the streak of runs, newest first, in which the chain's cluster did
// not come up (a deciding cell broken); runs whose deciding cells decided
// nothing are passed over.
func outage(runs []results.Run, chain string, deciding []*report.Cell) (*report.RunRef, *Outage) {
	var newest *report.RunRef
	o := &Outage{}
	for i := range runs {
		recorded, broken, decided := false, false, false
		for _, c := range deciding {
			if cr := runs[i].Cell(c.ID); cr != nil {
				recorded = true
				broken = broken || cr.Status == results.Broken
				decided = decided || report.Decisive(cr.Status)
			}
		}
		if !recorded {
			continue
		}
		if newest == nil {
			ref := report.RefOf(&runs[i])
			newest = &ref
		}
		if !broken {
			if decided {
				break
			}
			continue
		}
		o.Runs++
		o.First = report.RefOf(&runs[i])
		if o.Runs == 1 {
			o.Last = o.First
			for _, inf := range runs[i].InfraFor(chain) {
				if inf.Breaks() {
					o.Infra = append(o.Infra, inf)
				}
			}
		}
	}
	if o.Runs == 0 {
		return newest, nil
	}
	return newest, o
}

// owners returns the distribution's owners, then those of the failing
// features, each once (GitLab paths ignore case).
func owners(d *matrix.Distribution, m *matrix.Matrix, failing []Failure) []string {
	var all []matrix.Owner
	if d != nil {
		all = append(all, d.Owners...)
	}
	for _, f := range failing {
		if mf := m.Feature(f.Feature); mf != nil {
			all = append(all, mf.Owners...)
		}
	}
	var out []string
	for _, o := range matrix.Mentions(all) {
		if !slices.ContainsFunc(out, func(x string) bool { return strings.EqualFold(x, o) }) {
			out = append(out, o)
		}
	}
	return out
}

// ForDigest returns the firing alerts as the weekly digest lists them
// (report.DigestAlert), in table order: what fires in Summary's words, the
// owners, and the oldest run of what fires.
func ForDigest(alerts []Alert) []report.DigestAlert {
	var out []report.DigestAlert
	for i := range alerts {
		a := &alerts[i]
		if !a.Firing() {
			continue
		}
		var since *report.RunRef
		older := func(r report.RunRef) {
			if since == nil || r.FinishedAt.Before(since.FinishedAt) {
				since = &r
			}
		}
		for _, f := range a.Failures {
			older(f.First)
		}
		if a.Outage != nil {
			older(a.Outage.First)
		}
		if a.Stale != nil {
			older(a.Stale.Since)
		}
		out = append(out, report.DigestAlert{Key: a.Key, What: Summary(a), Owners: a.Owners, Since: since})
	}
	return out
}
