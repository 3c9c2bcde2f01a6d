package program

import (
	"fmt"
	"io"

	"gitlab.com/supportmatrix/supportmatrix/pkg/alert"
)

// WriteText writes what `publish` prints: the level changes a commit
// recorded, what became of the table (committed, a merge request for
// dropped levels, nothing new) or of the note on merge request mr, then
// what became of the alert and digest issues.
func (r *PublishResult) WriteText(w io.Writer, mr int64) error {
	if r.Skipped != "" {
		_, err := fmt.Fprintf(w, "publish: skipped the note on !%d: %s\n", mr, r.Skipped)
		return err
	}
	if r.Commit != nil {
		for _, ch := range r.Commit.LevelChanges {
			from := string(ch.From)
			if from == "" {
				from = "(first entry)"
			}
			fmt.Fprintf(w, "publish: %s: %s -> %s (%s)\n", ch.Cell, from, ch.To, ch.Reason)
		}
	}
	switch {
	case r.Note != nil && r.Note.Created:
		fmt.Fprintf(w, "publish: noted plan and results on !%d\n", mr)
	case r.Note != nil && r.Note.Updated:
		fmt.Fprintf(w, "publish: updated the note on !%d\n", mr)
	case r.Note != nil:
		fmt.Fprintf(w, "publish: the note on !%d already says this\n", mr)
	case r.Commit == nil:
	case !r.Commit.Committed:
		fmt.Fprintf(w, "publish: %s already shows this run; nothing committed\n", r.Branch)
	case r.Commit.MergeRequest != nil:
		fmt.Fprintf(w, "publish: levels dropped (%d); committed to %s and opened merge request !%d: %s\n", len(r.Commit.Downgrades), r.Commit.Branch, r.Commit.MergeRequest.IID, r.Commit.MergeRequest.WebURL)
	default:
		fmt.Fprintf(w, "publish: committed %d files to %s: %s\n", len(r.Commit.Changed), r.Commit.Branch, r.Commit.Commit.WebURL)
	}
	return r.writeIssues(w)
}

// writeIssues says what publish did to the alert and digest issues, after
// the table's line.
func (r *PublishResult) writeIssues(w io.Writer) error {
	if r.IssuesSkipped != "" {
		fmt.Fprintf(w, "publish: skipped the alert and digest issues: %s\n", r.IssuesSkipped)
	}
	if a := r.Alerts; a != nil {
		fmt.Fprintf(w, "publish: alerts: %d opened, %d updated, %d closed\n", a.Count(alert.Opened), a.Count(alert.Updated), a.Count(alert.Closed)+a.Count(alert.Duplicate))
	}
	if d := r.Digest; d != nil {
		switch {
		case len(d.Actions) == 0:
			fmt.Fprintln(w, "publish: the digest issue already says this")
		default:
			last := d.Actions[len(d.Actions)-1]
			fmt.Fprintf(w, "publish: digest issue #%d %s: %s\n", last.IID, last.What, last.URL)
		}
	}
	return nil
}
