// Package render writes a report.Report as the support table in the forms
// people and tools read: Markdown for matrix/SUPPORT.md (written for GitLab's
// Markdown), JSON (schema supportmatrix/support/v1), one self-contained HTML
// page for GitLab Pages, and an SVG badge per distribution for READMEs.
//
// Every renderer is a pure function of the report: no clock, no map
// iteration, no environment, so the same report always gives the same bytes.
// Links are emitted only for http(s) URLs; anything else is shown as text.
package render

import (
	"gitlab.com/supportmatrix/supportmatrix/internal/markdown"

	"fmt"
	"strconv"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// levelIcons are the symbols that go with each level's text label; the
// label is always shown too, so colour and symbol are never the only cue.
var levelIcons = map[report.Level]string{
	report.Supported:     "✅",
	report.Qualifying:    "⏳",
	report.Beta:          "🧪",
	report.Community:     "🤝",
	report.Deprecated:    "🔻",
	report.Failing:       "❌",
	report.Stale:         "💤",
	report.Broken:        "🚧",
	report.Untested:      "❔",
	report.NotApplicable: "➖",
}

// statuses lists the cell statuses in legend order.
var statuses = results.Statuses

var statusIcons = map[results.Status]string{
	results.Passed:         "✅",
	results.Failed:         "❌",
	results.Flaky:          "⚠️",
	results.AllowedFailure: "🔸",
	results.Skipped:        "⏭️",
	results.Canceled:       "🚫",
	results.NotRun:         "⬜",
	results.Excluded:       "➖",
	results.Stale:          "💤",
	results.Broken:         "🚧",
}

var statusMeaning = map[results.Status]string{
	results.Passed:         "the job passed",
	results.Failed:         "the job failed",
	results.Flaky:          "passed after a retry, flipped between pass and fail in recent runs, or flaked in more of the history's runs than the policy's flaky_above",
	results.AllowedFailure: "failed where a rule allows it (see the exceptions)",
	results.Skipped:        "the job was skipped",
	results.Canceled:       "the job was canceled",
	results.NotRun:         "the job did not run, or a manual job was not played",
	results.Excluded:       "not tested on purpose (see the exclusions)",
	results.Stale:          "the newest result is older than the policy's max_age",
	results.Broken:         "the cluster did not come up, could not be reached, or runs another minor: nothing was proven (not a product failure)",
}

// statusText is a status as people read it: "not run", "allowed failure".
func statusText(s results.Status) string { return strings.ReplaceAll(string(s), "_", " ") }

// levelLabel is a level's symbol and text.
func levelLabel(l report.Level) string { return levelIcons[l] + " " + string(l) }

// statusLabel is a status's symbol and text; a stale cell also says what
// its last result was.
func statusLabel(c *report.Cell) string {
	s := statusIcons[c.Status] + " " + statusText(c.Status)
	if c.Status == results.Stale && c.Last != "" {
		s += " (" + statusText(c.Last) + ")"
	}
	return s
}

// linkable reports whether a URL may become a link: only web URLs, so a
// results file can never inject a javascript: or file: link.
func linkable(u string) bool {
	_, ok := markdown.URL(u)
	return ok
}

// actionText describes a rule action for the exceptions list.
func actionText(a matrix.Action) string {
	switch a {
	case matrix.ActionExclude:
		return "excluded"
	case matrix.ActionAllowFailure:
		return "allowed to fail"
	case matrix.ActionManual:
		return "manual"
	}
	return string(a)
}

// exception is one feature's exclusion or rule on some of a distribution's
// minors, with its reason.
type exception struct {
	Feature string
	Name    string
	Minors  string // "1.33, 1.34" or "all offered minors"
	Action  matrix.Action
	// ActionText is the action as people read it ("allowed to fail").
	ActionText string
	Reason     string
	Link       string
}

// exceptions groups a distribution's excluded, allow_failure and manual
// cells by feature, action and reason, in feature then minor order.
func exceptions(d *report.Distribution) []exception {
	type key struct {
		feature string
		action  matrix.Action
		reason  string
	}
	var order []key
	minors := map[key][]string{}
	links := map[key]string{}
	names := map[key]string{}
	offered := 0
	for _, v := range d.Versions {
		if v.Offered {
			offered++
		}
	}
	// Walk features in file order, then minors, so groups come out in
	// the table's order.
	if len(d.Versions) == 0 {
		return nil
	}
	var features []*matrix.Feature
	for _, v := range d.Versions {
		if len(v.Cells) > 0 {
			for _, c := range v.Cells {
				features = append(features, c.Feature)
			}
			break
		}
	}
	for _, f := range features {
		for _, v := range d.Versions {
			for _, c := range v.Cells {
				if c.Feature != f || c.Action == matrix.ActionRun {
					continue
				}
				k := key{f.ID, c.Action, c.Reason}
				if _, ok := minors[k]; !ok {
					order = append(order, k)
					links[k] = c.Link
					names[k] = f.Name
				}
				minors[k] = append(minors[k], v.Kubernetes.String())
			}
		}
	}
	out := make([]exception, 0, len(order))
	for _, k := range order {
		ms := strings.Join(minors[k], ", ")
		if len(minors[k]) == offered && offered > 1 {
			ms = "all offered minors"
		}
		out = append(out, exception{Feature: k.feature, Name: names[k], Minors: ms, Action: k.action, ActionText: actionText(k.action), Reason: k.reason, Link: links[k]})
	}
	return out
}

// offered returns the distribution's offered minors' versions.
func offered(d *report.Distribution) []*report.Version {
	var out []*report.Version
	for _, v := range d.Versions {
		if v.Offered {
			out = append(out, v)
		}
	}
	return out
}

// featureRows returns, for the distribution's offered minors, the features
// in file order and each minor's cell of it.
func featureRows(vs []*report.Version) (features []*matrix.Feature, cells [][]*report.Cell) {
	if len(vs) == 0 {
		return nil, nil
	}
	for i, c := range vs[0].Cells {
		features = append(features, c.Feature)
		row := make([]*report.Cell, len(vs))
		for j, v := range vs {
			if i < len(v.Cells) {
				row[j] = v.Cells[i]
			}
		}
		cells = append(cells, row)
	}
	return features, cells
}

// hasReleaseNames reports whether any offered minor has a release name.
func hasReleaseNames(vs []*report.Version) bool {
	for _, v := range vs {
		if v.ReleaseName != "" {
			return true
		}
	}
	return false
}

// minorRanges writes minors as ranges of adjacent table columns:
// "1.33–1.35, 1.37".
func minorRanges(d *report.Distribution, level report.Level) string {
	var parts []string
	start, prev := -1, -1
	flush := func() {
		if start < 0 {
			return
		}
		s := d.Versions[start].Kubernetes.String()
		if prev > start {
			s += "–" + d.Versions[prev].Kubernetes.String()
		}
		parts = append(parts, s)
		start = -1
	}
	for i, v := range d.Versions {
		if v.Level == level {
			if start < 0 {
				start = i
			}
			prev = i
			continue
		}
		flush()
	}
	flush()
	return strings.Join(parts, ", ")
}

// infraText says what a failed cluster job did, for lists and titles:
// "gke/1.35: connect failed: cluster runs 1.36 (v1.36.2), not 1.35".
func infraText(i report.Infra) string {
	s := fmt.Sprintf("%s: %s failed: %s", i.Chain, i.Step, line(i.Reason))
	if i.FailureReason != "" {
		s += " (" + i.FailureReason + ")"
	}
	return s
}

// judgedText says when the levels were judged and, when no time was
// given, that it is the newest result's; "" when there is no time at all
// (no result and no --now).
func judgedText(r *report.Report) string {
	if r.Now.IsZero() {
		return ""
	}
	s := "Levels judged at " + report.FormatTime(r.Now)
	if !r.NowGiven {
		s += " (the newest result's time: render --now, or CI_PIPELINE_CREATED_AT in CI, judges at another)"
	}
	return s + "."
}

// policyText describes the distribution's policy in one sentence.
func policyText(d *report.Distribution) string {
	var b strings.Builder
	if d.Tier == matrix.TierOfficial {
		b.WriteString(strconv.Itoa(d.Policy.GreenRuns) + " consecutive green counting runs, ")
	}
	b.WriteString("results at most " + d.Policy.MaxAge.Text + " old, flaky in at most " + report.FormatRate(d.Policy.FlakyAbove) + " of runs")
	if len(d.Policy.Requires) > 0 {
		b.WriteString("; requires " + strings.Join(d.Policy.Requires, ", "))
	}
	return b.String()
}
