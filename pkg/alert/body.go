package alert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/internal/markdown"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
)

// markerPrefix starts the hidden first line of every issue this package
// writes: "<!-- supportmatrix:alert gke/1.35 -->". The kind and the key are
// ids, minors and dashes, which cannot end the comment.
const markerPrefix = "<!-- supportmatrix:"

// Marker is the hidden first line of the issue of kind ("alert",
// "digest") and key.
func Marker(kind, key string) string { return markerPrefix + kind + " " + key + " -->" }

// parseMarker returns the kind and key of a description's marker line.
func parseMarker(description string) (kind, key string, ok bool) {
	line, _, _ := strings.Cut(description, "\n")
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), markerPrefix)
	if !ok {
		return "", "", false
	}
	rest, ok = strings.CutSuffix(rest, " -->")
	if !ok {
		return "", "", false
	}
	kind, key, _ = strings.Cut(rest, " ")
	return kind, key, kind != "" && key != ""
}

// statePrefix starts the hidden last line that records what the
// description reported, so that a later run notes only what changed.
const statePrefix = "<!-- supportmatrix:state "

// state is what an alert issue reported, as its hidden last line keeps it.
type state struct {
	Pipeline int64    `json:"pipeline"`
	Failing  []string `json:"failing,omitempty"`
	Outage   bool     `json:"outage,omitempty"`
	Stale    bool     `json:"stale,omitempty"`
	Green    bool     `json:"green,omitempty"`
}

func stateOf(a *Alert) state {
	s := state{Outage: a.Outage != nil, Stale: a.Stale != nil, Green: a.Green && !a.Firing()}
	if a.Newest != nil {
		s.Pipeline = a.Newest.Pipeline
	}
	for _, f := range a.Failing {
		s.Failing = append(s.Failing, f.Feature)
	}
	return s
}

// readState reads the state line of a description; ok is false when there
// is none (an issue a person rewrote).
func readState(description string) (state, bool) {
	i := strings.LastIndex(description, statePrefix)
	if i < 0 {
		return state{}, false
	}
	rest, _, ok := strings.Cut(description[i+len(statePrefix):], " -->")
	var s state
	if !ok || json.Unmarshal([]byte(rest), &s) != nil {
		return state{}, false
	}
	return s, true
}

// Title is the alert issue's title: "Support alert: Google Kubernetes
// Engine, Kubernetes 1.35", within GitLab's 255 characters.
func Title(a *Alert) string {
	t := fmt.Sprintf("Support alert: %s, Kubernetes %s", markdown.OneLine(a.Name), a.Minor)
	if a.ReleaseName != "" {
		t += " (" + markdown.OneLine(a.ReleaseName) + ")"
	}
	return truncate(t, gitlab.MaxIssueTitle)
}

// truncate cuts s to at most n characters, ending in "…" when cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Summary says in one line (Markdown) what makes a firing alert fire:
// "`deploy` failed 2 or more counting runs in a row; no counting run for
// 11 days". The issue and the digest say it in the same words.
func Summary(a *Alert) string {
	var what []string
	if len(a.Failures) > 0 {
		var ids []string
		for _, f := range a.Failures {
			ids = append(ids, "`"+f.Feature+"`")
		}
		what = append(what, fmt.Sprintf("%s failed %d or more counting runs in a row", strings.Join(ids, ", "), a.AlertAfter))
	}
	if a.Outage != nil {
		what = append(what, fmt.Sprintf("the cluster did not come up in %d counting runs in a row", a.Outage.Runs))
	}
	if a.Stale != nil {
		what = append(what, fmt.Sprintf("no counting run for %s", age(a.Stale.For)))
	}
	return strings.Join(what, "; ")
}

// Description is the alert issue's description: the marker, what is wrong
// and since when, who owns it, and the state line. It is a function of the
// alert and now alone.
func Description(a *Alert, now time.Time) string {
	var b bytes.Buffer
	b.WriteString(Marker("alert", a.Key) + "\n")
	fmt.Fprintf(&b, "**%s on Kubernetes %s** (`%s`, tier %s) ", markdown.Text(a.Name), a.Minor, a.Key, a.Tier)
	switch {
	case a.Firing():
		fmt.Fprintf(&b, "needs attention: %s.\n\n", Summary(a))
	case a.Green:
		b.WriteString("is green again: every blocking feature passed in the newest counting run.\n\n")
	default:
		b.WriteString("is not green yet: it no longer meets the alert's threshold, and this issue stays open until every blocking feature passes.\n\n")
	}
	if len(a.Owners) > 0 {
		fmt.Fprintf(&b, "Owners: %s\n\n", markdown.Mentions(a.Owners))
	} else {
		fmt.Fprintf(&b, "Owners: none named; add `owners:` to `distributions.%s` in the matrix.\n\n", a.Distribution)
	}
	fmt.Fprintf(&b, "Level: **%s**: %s\n", a.Level, markdown.Text(a.Reason))

	if len(a.Failing) > 0 {
		b.WriteString("\n### Product failures\n\n")
		b.WriteString("| Feature | Failed runs in a row | First failing run | Newest failing job |\n| :-- | --: | :-- | :-- |\n")
		for _, f := range a.Failing {
			fmt.Fprintf(&b, "| %s (`%s`) | %d | %s | %s |\n", markdown.Text(f.Name), f.Feature, f.Runs,
				runJob(f.First, f.FirstJob), runJob(f.Last, f.LastJob)+reasonText(f.FailureReason))
		}
	}
	if o := a.Outage; o != nil {
		b.WriteString("\n### Cluster problems (not product failures)\n\n")
		fmt.Fprintf(&b, "The cluster did not come up, could not be reached or ran another minor in the last %d counting runs, since %s: nothing was proven, so these runs neither pass nor fail a feature.\n\n", o.Runs, runLink(o.First))
		for _, i := range o.Infra {
			fmt.Fprintf(&b, "- %s: %s", i.Step, markdown.Text(i.Reason))
			if i.ServerVersion != "" {
				fmt.Fprintf(&b, " (server %s)", markdown.Code(i.ServerVersion))
			}
			if job := markdown.Link("job", i.JobURL); job != "job" {
				fmt.Fprintf(&b, ", %s", job)
			}
			fmt.Fprintf(&b, " in %s\n", runLink(o.Last))
		}
	}
	if s := a.Stale; s != nil {
		b.WriteString("\n### No recent run\n\n")
		fmt.Fprintf(&b, "No counting run has recorded a blocking feature of this cell since %s (%s), %s before %s; `policy.%s.alert_stale` is %s. Check the schedule and the cluster.\n",
			runLink(s.Since), report.FormatTime(s.Since.FinishedAt), age(s.For), report.FormatTime(now), a.Tier, a.AlertStale.Text)
	}
	b.WriteString("\n---\n\n")
	if a.Newest != nil {
		fmt.Fprintf(&b, "Newest counting run: %s (%s). ", runLink(*a.Newest), report.FormatTime(a.Newest.FinishedAt))
	}
	fmt.Fprintf(&b, "Written by `supportmatrix publish --alerts` at %s; it opens an issue after %d failed counting runs in a row of a blocking feature (`policy.%s.alert_after`), rewrites this description on every run, and closes the issue when every blocking feature passes again.\n",
		report.FormatTime(now), a.AlertAfter, a.Tier)
	st, _ := json.Marshal(stateOf(a))
	fmt.Fprintf(&b, "%s%s -->\n", statePrefix, st)
	return b.String()
}

// changeNote is the note a later run adds when what the issue reports
// changed, or "" when nothing did.
func changeNote(a *Alert, was state) string {
	now := stateOf(a)
	if now.Pipeline == was.Pipeline {
		return ""
	}
	var parts []string
	var started, ended []string
	for _, f := range a.Failing {
		if !slices.Contains(was.Failing, f.Feature) {
			started = append(started, "`"+f.Feature+"`")
		}
	}
	for _, id := range was.Failing {
		if !slices.Contains(now.Failing, id) {
			ended = append(ended, "`"+id+"`")
		}
	}
	if len(started) > 0 {
		parts = append(parts, "now failing: "+strings.Join(started, ", "))
	}
	if len(ended) > 0 {
		parts = append(parts, "no longer failing: "+strings.Join(ended, ", "))
	}
	switch {
	case now.Outage && !was.Outage:
		parts = append(parts, "the cluster did not come up")
	case !now.Outage && was.Outage:
		parts = append(parts, "the cluster came up again")
	}
	switch {
	case now.Stale && !was.Stale:
		parts = append(parts, "no recent counting run")
	case !now.Stale && was.Stale:
		parts = append(parts, "a counting run recorded the cell again")
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("%s: %s.", runLink(*a.Newest), strings.Join(parts, "; "))
}

// closeNote is the note an issue gets when its cell is green again.
func closeNote(a *Alert) string {
	if a.Newest == nil {
		return "Closing: no blocking feature of this cell fails any more."
	}
	return fmt.Sprintf("Green again in %s (%s): every blocking feature passed. Closing.", runLink(*a.Newest), report.FormatTime(a.Newest.FinishedAt))
}

func runLink(r report.RunRef) string { return markdown.Link(r.Name(), r.URL) }

// runJob is "pipeline #12 (job)", each linked when it has a URL.
func runJob(r report.RunRef, job string) string {
	s := runLink(r)
	if j := markdown.Link("job", job); j != "job" {
		s += " (" + j + ")"
	}
	return s
}

func reasonText(reason string) string {
	if reason == "" {
		return ""
	}
	return ", " + markdown.Code(reason)
}

// age writes a duration as the matrix writes durations: whole days ("9d"),
// or hours under two days ("36h").
func age(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
