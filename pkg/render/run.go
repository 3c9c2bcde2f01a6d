package render

import (
	"encoding/xml"
	"fmt"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/internal/markdown"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// statusMark is how a run's Markdown shows a cell's status.
var statusMark = map[results.Status]string{
	results.Passed:         "✅ passed",
	results.Failed:         "❌ failed",
	results.Flaky:          "🔁 flaky",
	results.AllowedFailure: "⚠️ allowed failure",
	results.Skipped:        "⏭️ skipped",
	results.Canceled:       "⏹️ canceled",
	results.NotRun:         "⬜ not run",
	results.Excluded:       "➖ excluded",
	results.Stale:          "⌛ stale",
	results.Broken:         "🚧 broken",
}

// RunMarkdown is one run for the people reviewing its merge request: the
// plan (what the change adds, removes and changes, as `plan --format
// markdown` writes it; "" says none was given) and the results of the cells
// the run holds, with the failed cluster jobs. publish notes it on the
// merge request; a child pipeline's self-report job writes it as an
// artifact (render --format run).
func RunMarkdown(plan string, run *results.Run) []byte {
	var b strings.Builder
	if strings.TrimSpace(plan) == "" {
		plan = "## Support matrix plan\n\nNo plan was given (--plan)."
	}
	b.WriteString(strings.TrimSpace(plan))
	b.WriteString("\n\n")
	if run == nil {
		b.WriteString("### Results\n\nNo results were collected for this pipeline.\n")
		return []byte(b.String())
	}
	fmt.Fprintf(&b, "### Results of %s\n\n", markdown.Link(fmt.Sprintf("pipeline %d", run.Pipeline), run.URL))
	ran := 0
	counts := map[results.Status]int{}
	var rows []string
	for _, c := range run.Cells {
		if c.Status == results.Excluded {
			continue
		}
		counts[c.Status]++
		ran++
		job := "-"
		if _, ok := markdown.URL(c.JobURL); ok {
			job = markdown.Link("job", c.JobURL)
		}
		detail := c.FailureReason
		if c.ServerVersion != "" {
			detail = strings.TrimSpace(detail + " server " + c.ServerVersion)
		}
		if c.Status == results.Broken {
			// The reason names the cluster's version already.
			detail = c.Reason
			if c.FailureReason != "" {
				detail += " (" + c.FailureReason + ")"
			}
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |", markdown.Code(c.Cell), statusMark[c.Status], job, markdown.Text(detail)))
	}
	if ran == 0 {
		b.WriteString("The change touches no cell's job: nothing ran.\n")
		return []byte(b.String())
	}
	var parts []string
	for _, s := range results.Statuses {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], strings.ReplaceAll(string(s), "_", " ")))
		}
	}
	fmt.Fprintf(&b, "%d cells ran: %s. Merge-request runs are previews: they never change the support table.\n\n", ran, strings.Join(parts, ", "))
	b.WriteString("| Cell | Status | Job | Detail |\n| --- | --- | --- | --- |\n")
	b.WriteString(strings.Join(rows, "\n"))
	b.WriteString("\n")
	if len(run.Infra) > 0 {
		b.WriteString("\n#### Cluster problems (not product failures)\n\n")
		for _, i := range run.Infra {
			fmt.Fprintf(&b, "- %s: %s failed: %s", markdown.Code(i.Chain), markdown.Text(i.Step), markdown.Text(i.Reason))
			if _, ok := markdown.URL(i.JobURL); ok {
				fmt.Fprintf(&b, " (%s)", markdown.Link("job", i.JobURL))
			}
			b.WriteString("\n")
		}
	}
	return []byte(b.String())
}

// junitSuites and the types below are the JUnit XML RunJUnit writes, in the
// shape GitLab's parser reads (lib/gitlab/ci/parsers/test/junit.rb:
// testsuites > testsuite > testcase with failure or skipped).
type junitSuites struct {
	XMLName xml.Name   `xml:"testsuites"`
	Suites  []junitSet `xml:"testsuite"`
}

type junitSet struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      float64       `xml:"time,attr,omitempty"`
	Failure   *junitMessage `xml:"failure"`
	Skipped   *junitMessage `xml:"skipped"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
}

// RunJUnit is one run as a JUnit report of one case per cell, so that
// GitLab's test widgets (the pipeline's Tests tab; in a merge request, child
// pipelines' reports from GitLab 18.5) show every cell, those whose job
// never ran included: a cell skipped because its cluster never came up
// uploads no report of its own. A failed or broken cell is a failure, a
// passed or flaky one a pass, any other outcome (allowed failure, skipped,
// canceled, not run) is skipped with its reason: never a pass. A teardown
// that failed is one failing case more: the cluster may still be running.
// Excluded cells are left out, as in RunMarkdown.
func RunJUnit(run *results.Run) []byte {
	set := junitSet{Name: "supportmatrix cells"}
	if run != nil {
		for _, c := range run.Cells {
			if c.Status == results.Excluded {
				continue
			}
			tc := junitCase{Classname: "supportmatrix", Name: c.Cell, Time: c.Duration}
			detail := strings.TrimSpace(strings.Join([]string{c.Reason, c.FailureReason, serverText(c.ServerVersion)}, " "))
			msg := statusText(c.Status)
			if detail != "" {
				msg += ": " + detail
			}
			switch c.Status {
			case results.Passed, results.Flaky:
				tc.SystemOut = msg
			case results.Failed, results.Broken:
				tc.Failure = &junitMessage{Message: msg}
				set.Failures++
			default:
				tc.Skipped = &junitMessage{Message: msg}
				set.Skipped++
			}
			if c.JobURL != "" {
				tc.SystemOut = strings.TrimSpace(tc.SystemOut + "\n" + c.JobURL)
			}
			set.Cases = append(set.Cases, tc)
		}
		for _, i := range run.Infra {
			if i.Breaks() {
				continue // its cells read broken
			}
			set.Cases = append(set.Cases, junitCase{
				Classname: "supportmatrix cluster", Name: i.Chain + ": " + i.Step,
				Failure: &junitMessage{Message: i.Step + " failed: " + i.Reason}, SystemOut: i.JobURL,
			})
			set.Failures++
		}
	}
	set.Tests = len(set.Cases)
	out, err := xml.MarshalIndent(junitSuites{Suites: []junitSet{set}}, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("render: junit: %v", err)) // plain structs of strings and numbers
	}
	return append(append([]byte(xml.Header), out...), '\n')
}

func serverText(v string) string {
	if v == "" {
		return ""
	}
	return "server " + v
}
