package publish

import (
	"gitlab.com/supportmatrix/supportmatrix/internal/markdown"

	"context"
	"fmt"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// NoteMarker starts every note publish writes, so that later pushes find
// and update the note instead of adding another.
const NoteMarker = "<!-- supportmatrix:merge-request-note -->"

// NoteOutcome says what Note did.
type NoteOutcome struct {
	Note    *gitlab.Note
	Created bool
	Updated bool // false with Created false: the note already said this
}

// Note keeps one note on merge request iid with body: it updates the note
// an earlier run wrote (found by NoteMarker), or creates it.
func Note(ctx context.Context, api API, iid int64, body string) (*NoteOutcome, error) {
	if !strings.HasPrefix(body, NoteMarker) {
		body = NoteMarker + "\n" + body
	}
	notes, err := api.ListMergeRequestNotes(ctx, iid)
	if err != nil {
		return nil, err
	}
	for _, n := range notes {
		if n.System || !strings.HasPrefix(n.Body, NoteMarker) {
			continue
		}
		if n.Body == body {
			n := n
			return &NoteOutcome{Note: &n}, nil
		}
		updated, err := api.UpdateMergeRequestNote(ctx, iid, n.ID, body)
		if err != nil {
			return nil, err
		}
		return &NoteOutcome{Note: updated, Updated: true}, nil
	}
	created, err := api.CreateMergeRequestNote(ctx, iid, body)
	if err != nil {
		return nil, err
	}
	return &NoteOutcome{Note: created, Created: true}, nil
}

// statusMark is how a note shows a cell's status.
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

// NoteBody is the merge request note: the plan (what the change adds,
// removes and changes, as `plan --format markdown` writes it) and the
// results of the cells this pipeline ran.
func NoteBody(plan string, run *results.Run) string {
	var b strings.Builder
	b.WriteString(NoteMarker + "\n")
	b.WriteString(strings.TrimSpace(plan))
	b.WriteString("\n\n")
	if run == nil {
		b.WriteString("### Results\n\nNo results were collected for this pipeline.\n")
		return b.String()
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
		return b.String()
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
	return b.String()
}
