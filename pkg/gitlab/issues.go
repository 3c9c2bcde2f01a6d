package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// The issue routes (lib/api/issues.rb, lib/api/notes.rb, lib/api/labels.rb)
// take no CI job token: none is marked job_token_allowed, so GitLab ignores
// the token and a private project answers 404. Writing needs a token with
// the api scope: creating issues and notes a Guest may do, but creating the
// label, and editing or closing an issue someone else wrote, needs
// admin_label and update_issue, which the Planner and Reporter roles and
// above hold (app/policies/project_policy.rb).

// Limits GitLab puts on an issue (app/models/concerns/issuable.rb:
// TITLE_LENGTH_MAX, DESCRIPTION_LENGTH_MAX), in characters; GitLab's
// doc/development/issuable-like-models.md states them: title 255
// characters, description 1 megabyte.
const (
	MaxIssueTitle       = 255
	MaxIssueDescription = 1_048_576
)

// Issue is a project issue.
type Issue struct {
	// IID is the issue's number within the project (#IID).
	IID int64
	// Title, Description and State (opened, closed) are as GitLab has them.
	Title, Description, State string
	// Labels are the issue's label names.
	Labels []string
	// WebURL links to the issue.
	WebURL string
	// CreatedAt is GitLab's creation time (zero when absent).
	CreatedAt time.Time
}

func issueFrom(i *gl.Issue) Issue {
	return Issue{
		IID: i.IID, Title: i.Title, Description: i.Description, State: i.State,
		Labels: append([]string(nil), i.Labels...), WebURL: i.WebURL, CreatedAt: deref(i.CreatedAt),
	}
}

// IssueQuery filters ListIssues.
type IssueQuery struct {
	// Labels: issues carrying every one of them (GitLab's labels filter,
	// comma-separated).
	Labels []string
	// State is opened, closed or all; GitLab's default is all.
	State string
	// Search matches text in the title or description.
	Search string
}

// ListIssues returns the project's issues that match q, oldest first
// (order_by=created_at, sort=asc), paged to the end.
func (c *Client) ListIssues(ctx context.Context, q IssueQuery) ([]Issue, error) {
	opt := &gl.ListProjectIssuesOptions{
		ListOptions: gl.ListOptions{PerPage: DefaultPerPage},
		OrderBy:     gl.Ptr("created_at"),
		Sort:        gl.Ptr("asc"),
	}
	if len(q.Labels) > 0 {
		l := gl.LabelOptions(q.Labels)
		opt.Labels = &l
	}
	if q.State != "" {
		opt.State = gl.Ptr(q.State)
	}
	if q.Search != "" {
		opt.Search = gl.Ptr(q.Search)
	}
	path := fmt.Sprintf("/projects/%s/issues", c.pathProj)
	issues, _, err := pageAll(ctx, c, path, func(page int64, o ...gl.RequestOptionFunc) ([]*gl.Issue, *gl.Response, error) {
		p := *opt
		p.Page = page
		return c.gl.Issues.ListProjectIssues(c.project, &p, o...)
	}, func(i *gl.Issue) int64 { return i.ID })
	if err != nil {
		return nil, fmt.Errorf("list issues: %w", err)
	}
	out := make([]Issue, 0, len(issues))
	for _, i := range issues {
		if i != nil {
			out = append(out, issueFrom(i))
		}
	}
	return out, nil
}

// CreateIssue opens an issue. Like every POST it is never retried after a
// 5xx or a timeout, so it cannot open two issues; the caller finds an issue
// that a failed attempt did open by listing before it creates again.
func (c *Client) CreateIssue(ctx context.Context, title, description string, labels []string) (*Issue, error) {
	opt := &gl.CreateIssueOptions{Title: gl.Ptr(title), Description: gl.Ptr(description)}
	if len(labels) > 0 {
		l := gl.LabelOptions(labels)
		opt.Labels = &l
	}
	path := fmt.Sprintf("/projects/%s/issues", c.pathProj)
	var is *gl.Issue
	_, err := c.do(ctx, http.MethodPost, path, func(o ...gl.RequestOptionFunc) (*gl.Response, error) {
		var r *gl.Response
		var err error
		is, r, err = c.gl.Issues.CreateIssue(c.project, opt, o...)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("open issue %q: %w", title, err)
	}
	out := issueFrom(is)
	return &out, nil
}

// IssueUpdate is what UpdateIssue changes; empty fields are left alone.
type IssueUpdate struct {
	Title, Description string
	// StateEvent is close or reopen (lib/api/issues.rb: values reopen,
	// close).
	StateEvent string
}

// The state events of an issue update.
const (
	StateEventClose  = "close"
	StateEventReopen = "reopen"
)

// UpdateIssue edits issue iid (PUT, so it is retried like a read: the same
// edit twice leaves the same issue).
func (c *Client) UpdateIssue(ctx context.Context, iid int64, u IssueUpdate) (*Issue, error) {
	opt := &gl.UpdateIssueOptions{}
	if u.Title != "" {
		opt.Title = gl.Ptr(u.Title)
	}
	if u.Description != "" {
		opt.Description = gl.Ptr(u.Description)
	}
	if u.StateEvent != "" {
		opt.StateEvent = gl.Ptr(u.StateEvent)
	}
	path := fmt.Sprintf("/projects/%s/issues/%d", c.pathProj, iid)
	var is *gl.Issue
	_, err := c.do(ctx, http.MethodPut, path, func(o ...gl.RequestOptionFunc) (*gl.Response, error) {
		var r *gl.Response
		var err error
		is, r, err = c.gl.Issues.UpdateIssue(c.project, iid, opt, o...)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("update issue #%d: %w", iid, err)
	}
	out := issueFrom(is)
	return &out, nil
}

// CreateIssueNote comments on issue iid (POST /projects/:id/issues/:iid/notes,
// lib/api/notes.rb). It is never retried after a 5xx.
func (c *Client) CreateIssueNote(ctx context.Context, iid int64, body string) (*Note, error) {
	path := fmt.Sprintf("/projects/%s/issues/%d/notes", c.pathProj, iid)
	var n *gl.Note
	_, err := c.do(ctx, http.MethodPost, path, func(o ...gl.RequestOptionFunc) (*gl.Response, error) {
		var r *gl.Response
		var err error
		n, r, err = c.gl.Notes.CreateIssueNote(c.project, iid, &gl.CreateIssueNoteOptions{Body: gl.Ptr(body)}, o...)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("note on issue #%d: %w", iid, err)
	}
	out := noteFrom(n)
	return &out, nil
}

// ListIssueNotes returns every note of issue iid, oldest first.
func (c *Client) ListIssueNotes(ctx context.Context, iid int64) ([]Note, error) {
	path := fmt.Sprintf("/projects/%s/issues/%d/notes", c.pathProj, iid)
	notes, err := c.listNotes(ctx, path, func(lo gl.ListOptions, o ...gl.RequestOptionFunc) ([]*gl.Note, *gl.Response, error) {
		return c.gl.Notes.ListIssueNotes(c.project, iid, &gl.ListIssueNotesOptions{
			ListOptions: lo, OrderBy: gl.Ptr("created_at"), Sort: gl.Ptr("asc"),
		}, o...)
	})
	if err != nil {
		return nil, fmt.Errorf("notes of issue #%d: %w", iid, err)
	}
	return notes, nil
}

// listNotes pages through the notes list at path, oldest first, for
// ListIssueNotes and ListMergeRequestNotes: the client's two list calls
// differ only in their options type.
func (c *Client) listNotes(ctx context.Context, path string, list func(gl.ListOptions, ...gl.RequestOptionFunc) ([]*gl.Note, *gl.Response, error)) ([]Note, error) {
	notes, _, err := pageAll(ctx, c, path, func(page int64, o ...gl.RequestOptionFunc) ([]*gl.Note, *gl.Response, error) {
		return list(gl.ListOptions{Page: page, PerPage: DefaultPerPage}, o...)
	}, func(n *gl.Note) int64 { return n.ID })
	if err != nil {
		return nil, err
	}
	out := make([]Note, 0, len(notes))
	for _, n := range notes {
		out = append(out, noteFrom(n))
	}
	return out, nil
}

// EnsureLabel makes sure the project has label name, creating it with color
// and description when it does not. It reports whether it created it.
//
// An issue created with a label that does not exist gets it only when the
// token may create labels; otherwise GitLab drops it without a word
// (Labels::FindOrCreateService, app/services/labels/find_or_create_service.rb),
// and an issue without its label could never be found again. So the label
// is made first, and a token that may not make it (403) fails here.
func (c *Client) EnsureLabel(ctx context.Context, name, color, description string) (bool, error) {
	path := fmt.Sprintf("/projects/%s/labels/%s", c.pathProj, url.PathEscape(name))
	_, err := c.do(ctx, http.MethodGet, path, func(o ...gl.RequestOptionFunc) (*gl.Response, error) {
		_, r, err := c.gl.Labels.GetLabel(c.project, name, o...)
		return r, err
	})
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return false, fmt.Errorf("label %q: %w", name, err)
	}
	path = fmt.Sprintf("/projects/%s/labels", c.pathProj)
	_, err = c.do(ctx, http.MethodPost, path, func(o ...gl.RequestOptionFunc) (*gl.Response, error) {
		_, r, err := c.gl.Labels.CreateLabel(c.project, &gl.CreateLabelOptions{
			Name: gl.Ptr(name), Color: gl.Ptr(color), Description: gl.Ptr(description),
		}, o...)
		return r, err
	})
	if errors.Is(err, ErrConflict) {
		// lib/api/helpers/label_helpers.rb: 409 "Label already exists"
		// when a concurrent run made it first.
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create label %q: %w", name, err)
	}
	return true, nil
}
