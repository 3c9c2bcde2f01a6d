package publish

import (
	"context"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/render"
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

// NoteBody is the merge request note: the marker that finds it again, then
// the plan and the results of the cells this pipeline ran, as a child's
// self-report job writes them (render.RunMarkdown).
func NoteBody(plan string, run *results.Run) string {
	return NoteMarker + "\n" + string(render.RunMarkdown(plan, run))
}
