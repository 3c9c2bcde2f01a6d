package report

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/kube"
)

// DefaultDigestPeriod is how far back a digest looks when it is not told
// when the last one was: a week, for the digest a maintainer reads on
// Monday.
const DefaultDigestPeriod = 7 * 24 * time.Hour

// Digest is what a maintainer reads on Monday: what moved since the last
// digest, what is wrong now, and what the calendar takes away next. It is
// built from a report, the level log and the time of the last digest, and
// reads no clock: the same inputs give the same digest.
type Digest struct {
	// Report is the table the digest summarises; its Now is the digest's.
	Report *Report
	// Since is the time of the last digest: level changes logged after it
	// (and at or before Report.Now) are the digest's.
	Since time.Time
	// Changes are the level log's entries in (Since, Now], in log order.
	Changes []LogEntry
	// Pending are the level changes the report shows against the log that
	// the log does not hold yet (publish --commit appends them).
	Pending []LogEntry
	// Alerts are the distribution × minors that meet their alert
	// condition now (pkg/alert decides, with policy.alert_after and
	// alert_stale), in table order.
	Alerts []DigestAlert
	// Flaky are the flakiest cells (Report.MostFlaky).
	Flaky []*Cell
	// Stale are the distribution × minors whose level is stale.
	Stale []StaleVersion
	// Horizon is the first day past the calendar the digest looks at: the
	// first day of the month after next, so a digest always covers the rest
	// of this month and all of the next.
	Horizon time.Time
	// Calendar lists what the upstream and vendor calendars end in
	// (Now, Horizon), by date, then in table order.
	Calendar []CalendarEvent
}

// DigestAlert is one distribution × minor whose alert fires: what the
// digest says of it. pkg/alert decides and words it (alert.Summary), so the
// digest and the alert issue say the same thing.
type DigestAlert struct {
	Key string // gke/1.35
	// What says what fires, in Markdown.
	What string
	// Owners are the mentions the alert issue notifies.
	Owners []string
	// Since is the oldest run of what fires (the first failing run, the
	// first run the cluster did not come up, or the last verified run of a
	// stale cell), nil when unknown.
	Since *RunRef
}

// StaleVersion is a distribution × minor whose level is stale.
type StaleVersion struct {
	Distribution *Distribution
	Version      *Version
}

// Key names the distribution × minor as the level log does: gke/1.35.
func (s StaleVersion) Key() string {
	return s.Distribution.ID + "/" + s.Version.Kubernetes.String()
}

// CalendarEvent is one end the calendar brings: a minor's upstream end of
// life, or a vendor ending a phase of a minor a distribution offers.
type CalendarEvent struct {
	On time.Time
	// Subject is the distribution × minor (gke/1.35), or the minor (1.35)
	// for an upstream end of life.
	Subject string
	// Text says what ends, in words.
	Text string
}

// BuildDigest builds the digest of r since the last digest (zero: r.Now
// minus DefaultDigestPeriod), with the level log entries (all of them, as
// ParseLog reads them) and the firing alerts.
func BuildDigest(r *Report, log []LogEntry, since time.Time, alerts []DigestAlert) *Digest {
	if r.Now.IsZero() {
		// No result and no time given: nothing happened that a digest
		// could tell, and no day to read the calendar on.
		return &Digest{Report: r}
	}
	if since.IsZero() {
		since = r.Now.Add(-DefaultDigestPeriod)
	}
	d := &Digest{Report: r, Since: since, Alerts: alerts, Flaky: r.MostFlaky(MostFlakyLen), Horizon: horizon(r.Now)}
	var upToNow []LogEntry
	for _, e := range log {
		if e.At.After(r.Now) {
			continue
		}
		upToNow = append(upToNow, e)
		if e.At.After(since) {
			d.Changes = append(d.Changes, e)
		}
	}
	d.Pending = Changes(r, LastLevels(upToNow))
	for _, dist := range r.Distributions {
		for _, v := range dist.Versions {
			if v.Level == Stale {
				d.Stale = append(d.Stale, StaleVersion{Distribution: dist, Version: v})
			}
		}
	}
	d.Calendar = calendar(r, d.Horizon)
	return d
}

// horizon is the first day of the month after next in UTC.
func horizon(now time.Time) time.Time {
	y, m, _ := now.UTC().Date()
	return time.Date(y, m+2, 1, 0, 0, 0, 0, time.UTC)
}

// calendar lists the ends in (r.Now, until): each matrix minor's upstream
// end of life, and for each distribution × offered minor its vendor's end
// of standard support and the day the vendor drops it.
func calendar(r *Report, until time.Time) []CalendarEvent {
	within := func(t time.Time) bool { return !t.IsZero() && t.After(r.Now) && t.Before(until) }
	var out []CalendarEvent
	for _, m := range r.Minors {
		if !within(m.EOL) {
			continue
		}
		text := fmt.Sprintf("Kubernetes %s reaches its upstream end of life", m.Minor)
		if m.Extended != "" {
			text += "; kept for extended support: " + m.Extended
		}
		out = append(out, CalendarEvent{On: m.EOL, Subject: m.Minor.String(), Text: text})
	}
	for _, dist := range r.Distributions {
		for _, v := range dist.Versions {
			w := v.Vendor
			if !v.Offered || w == nil {
				continue
			}
			key := dist.ID + "/" + v.Kubernetes.String()
			end := w.ExtendedEnd
			if end.IsZero() {
				end = w.StandardEnd
			}
			if within(w.StandardEnd) && !w.StandardEnd.Equal(end) {
				out = append(out, CalendarEvent{On: w.StandardEnd, Subject: key,
					Text: fmt.Sprintf("%s %s of %s ends; %s until %s", w.Product, w.StandardLabel, v.Kubernetes, w.ExtendedLabel, kube.FormatDate(w.ExtendedEnd))})
			}
			if within(end) {
				out = append(out, CalendarEvent{On: end, Subject: key,
					Text: fmt.Sprintf("%s stops offering %s: versions --check fails from then until the matrix drops it from %s's range", w.Product, v.Kubernetes, dist.ID)})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b CalendarEvent) int { return cmp.Compare(a.On.Unix(), b.On.Unix()) })
	return out
}
