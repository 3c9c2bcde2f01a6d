package gitlab

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// DefaultBranch returns the project's default branch.
func (c *Client) DefaultBranch(ctx context.Context) (string, error) {
	path := fmt.Sprintf("/projects/%s", c.pathProj)
	var p *gl.Project
	_, err := c.do(ctx, http.MethodGet, path, func(o ...gl.RequestOptionFunc) (*gl.Response, error) {
		var r *gl.Response
		var err error
		p, r, err = c.gl.Projects.GetProject(c.project, nil, o...)
		return r, err
	})
	if err != nil {
		return "", fmt.Errorf("default branch: %w", err)
	}
	return p.DefaultBranch, nil
}

// GetFile reads a file at ref (a branch, tag or commit). It returns the
// content and the id of the last commit that changed the file, to pass as
// FileAction.LastCommitID when updating it. A missing file or ref wraps
// ErrNotFound.
func (c *Client) GetFile(ctx context.Context, filePath, ref string) ([]byte, string, error) {
	path := fmt.Sprintf("/projects/%s/repository/files/%s?ref=%s", c.pathProj, url.PathEscape(filePath), url.QueryEscape(ref))
	var f *gl.File
	_, err := c.do(ctx, http.MethodGet, path, func(o ...gl.RequestOptionFunc) (*gl.Response, error) {
		var r *gl.Response
		var err error
		f, r, err = c.gl.RepositoryFiles.GetFile(c.project, filePath, &gl.GetFileOptions{Ref: gl.Ptr(ref)}, o...)
		return r, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("read %s at %s: %w", filePath, ref, err)
	}
	content := []byte(f.Content)
	if f.Encoding == "base64" {
		content, err = base64.StdEncoding.DecodeString(f.Content)
		if err != nil {
			return nil, "", fmt.Errorf("read %s at %s: decode content: %w", filePath, ref, err)
		}
	}
	return content, f.LastCommitID, nil
}

// FileActionKind is what a commit does to one file.
type FileActionKind string

// The file actions a commit can carry.
const (
	// ActionCreate adds a file; it fails with ErrConflict if the file exists.
	ActionCreate FileActionKind = "create"
	// ActionUpdate replaces a file's content.
	ActionUpdate FileActionKind = "update"
)

// FileAction is one file change within a commit.
type FileAction struct {
	// Action is ActionCreate or ActionUpdate.
	Action FileActionKind
	// Path is the file's path in the repository.
	Path string
	// Content is the complete new content.
	Content []byte
	// LastCommitID, for an update, is the last commit id GetFile returned:
	// GitLab refuses the commit (ErrConflict) if the file changed since.
	LastCommitID string
}

// CommitRequest is one commit made through the API.
type CommitRequest struct {
	// Branch receives the commit.
	Branch string
	// StartBranch, when set and Branch does not exist, creates Branch from it.
	StartBranch string
	// Message is the commit message.
	Message string
	// Actions are the file changes, applied atomically.
	Actions []FileAction
}

// Commit is a commit GitLab created.
type Commit struct {
	// ID is the commit SHA.
	ID string
	// WebURL links to the commit.
	WebURL string
}

// CreateCommit commits req's actions atomically. A stale LastCommitID or a
// create of an existing file wraps ErrConflict: re-read, merge, try again.
// The POST is retried only after a 429 or a connection that never opened,
// never after a 5xx or timeout, so a commit cannot be made twice.
func (c *Client) CreateCommit(ctx context.Context, req CommitRequest) (*Commit, error) {
	opt := &gl.CreateCommitOptions{
		Branch:        gl.Ptr(req.Branch),
		CommitMessage: gl.Ptr(req.Message),
	}
	if req.StartBranch != "" && req.StartBranch != req.Branch {
		opt.StartBranch = gl.Ptr(req.StartBranch)
	}
	for _, a := range req.Actions {
		if a.Action != ActionCreate && a.Action != ActionUpdate {
			return nil, fmt.Errorf("commit to %s: %s: unknown action %q", req.Branch, a.Path, a.Action)
		}
		act := &gl.CommitActionOptions{
			Action:   gl.Ptr(gl.FileActionValue(a.Action)),
			FilePath: gl.Ptr(a.Path),
			Content:  gl.Ptr(base64.StdEncoding.EncodeToString(a.Content)),
			Encoding: gl.Ptr("base64"),
		}
		if a.LastCommitID != "" {
			act.LastCommitID = gl.Ptr(a.LastCommitID)
		}
		opt.Actions = append(opt.Actions, act)
	}
	path := fmt.Sprintf("/projects/%s/repository/commits", c.pathProj)
	var cm *gl.Commit
	_, err := c.do(ctx, http.MethodPost, path, func(o ...gl.RequestOptionFunc) (*gl.Response, error) {
		var r *gl.Response
		var err error
		cm, r, err = c.gl.Commits.CreateCommit(c.project, opt, o...)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("commit to %s: %w", req.Branch, err)
	}
	return &Commit{ID: cm.ID, WebURL: cm.WebURL}, nil
}

// CreateBranch creates branch from ref. An existing branch wraps ErrConflict.
func (c *Client) CreateBranch(ctx context.Context, branch, ref string) error {
	path := fmt.Sprintf("/projects/%s/repository/branches", c.pathProj)
	_, err := c.do(ctx, http.MethodPost, path, func(o ...gl.RequestOptionFunc) (*gl.Response, error) {
		_, r, err := c.gl.Branches.CreateBranch(c.project, &gl.CreateBranchOptions{Branch: gl.Ptr(branch), Ref: gl.Ptr(ref)}, o...)
		return r, err
	})
	if err != nil {
		return fmt.Errorf("create branch %s from %s: %w", branch, ref, err)
	}
	return nil
}

// MergeRequest is a merge request of the project.
type MergeRequest struct {
	// IID is the merge request's number within the project (!IID).
	IID int64
	// Title, State (opened, merged, closed), SourceBranch and TargetBranch
	// are as GitLab shows them.
	Title, State, SourceBranch, TargetBranch string
	// WebURL links to the merge request.
	WebURL string
}

// CreateMergeRequest opens a merge request from source into target. It is
// never retried after a 5xx: look it up with FindMergeRequest first.
func (c *Client) CreateMergeRequest(ctx context.Context, source, target, title, description string) (*MergeRequest, error) {
	path := fmt.Sprintf("/projects/%s/merge_requests", c.pathProj)
	var mr *gl.MergeRequest
	_, err := c.do(ctx, http.MethodPost, path, func(o ...gl.RequestOptionFunc) (*gl.Response, error) {
		var r *gl.Response
		var err error
		mr, r, err = c.gl.MergeRequests.CreateMergeRequest(c.project, &gl.CreateMergeRequestOptions{
			SourceBranch: gl.Ptr(source), TargetBranch: gl.Ptr(target),
			Title: gl.Ptr(title), Description: gl.Ptr(description),
		}, o...)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("create merge request %s -> %s: %w", source, target, err)
	}
	return &MergeRequest{
		IID: mr.IID, Title: mr.Title, State: mr.State,
		SourceBranch: mr.SourceBranch, TargetBranch: mr.TargetBranch, WebURL: mr.WebURL,
	}, nil
}

// FindMergeRequest returns the open merge request whose source branch is
// source (the newest one if several), or an error wrapping ErrNotFound.
func (c *Client) FindMergeRequest(ctx context.Context, source string) (*MergeRequest, error) {
	path := fmt.Sprintf("/projects/%s/merge_requests?state=opened&source_branch=%s", c.pathProj, url.QueryEscape(source))
	var mrs []*gl.BasicMergeRequest
	_, err := c.do(ctx, http.MethodGet, path, func(o ...gl.RequestOptionFunc) (*gl.Response, error) {
		var r *gl.Response
		var err error
		mrs, r, err = c.gl.MergeRequests.ListProjectMergeRequests(c.project, &gl.ListProjectMergeRequestsOptions{
			ListOptions:  gl.ListOptions{PerPage: DefaultPerPage},
			State:        gl.Ptr("opened"),
			SourceBranch: gl.Ptr(source),
		}, o...)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("find merge request from %s: %w", source, err)
	}
	var best *gl.BasicMergeRequest
	for _, m := range mrs {
		if m == nil || m.SourceBranch != source || m.State != "opened" {
			continue
		}
		if best == nil || m.IID > best.IID {
			best = m
		}
	}
	if best == nil {
		return nil, fmt.Errorf("find merge request from %s: no open merge request: %w", source, ErrNotFound)
	}
	return &MergeRequest{
		IID: best.IID, Title: best.Title, State: best.State,
		SourceBranch: best.SourceBranch, TargetBranch: best.TargetBranch, WebURL: best.WebURL,
	}, nil
}

// Note is a comment on a merge request.
type Note struct {
	// ID identifies the note for UpdateMergeRequestNote.
	ID int64
	// Body is the note's Markdown.
	Body string
	// Author is the author's username.
	Author string
	// System marks notes GitLab wrote itself (pushes, label changes).
	System bool
	// CreatedAt and UpdatedAt are GitLab's timestamps (zero when absent).
	CreatedAt, UpdatedAt time.Time
}

func noteFrom(n *gl.Note) Note {
	return Note{
		ID: n.ID, Body: n.Body, Author: n.Author.Username, System: n.System,
		CreatedAt: deref(n.CreatedAt), UpdatedAt: deref(n.UpdatedAt),
	}
}

// ListMergeRequestNotes returns every note of merge request iid, oldest
// first, paged to the end.
func (c *Client) ListMergeRequestNotes(ctx context.Context, iid int64) ([]Note, error) {
	path := fmt.Sprintf("/projects/%s/merge_requests/%d/notes", c.pathProj, iid)
	notes, err := c.listNotes(ctx, path, func(lo gl.ListOptions, o ...gl.RequestOptionFunc) ([]*gl.Note, *gl.Response, error) {
		return c.gl.Notes.ListMergeRequestNotes(c.project, iid, &gl.ListMergeRequestNotesOptions{
			ListOptions: lo, OrderBy: gl.Ptr("created_at"), Sort: gl.Ptr("asc"),
		}, o...)
	})
	if err != nil {
		return nil, fmt.Errorf("notes of merge request !%d: %w", iid, err)
	}
	return notes, nil
}

// CreateMergeRequestNote posts a note on merge request iid. It is never
// retried after a 5xx, so a note cannot be posted twice; the caller can list
// the notes and update instead.
func (c *Client) CreateMergeRequestNote(ctx context.Context, iid int64, body string) (*Note, error) {
	path := fmt.Sprintf("/projects/%s/merge_requests/%d/notes", c.pathProj, iid)
	var n *gl.Note
	_, err := c.do(ctx, http.MethodPost, path, func(o ...gl.RequestOptionFunc) (*gl.Response, error) {
		var r *gl.Response
		var err error
		n, r, err = c.gl.Notes.CreateMergeRequestNote(c.project, iid, &gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(body)}, o...)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("note on merge request !%d: %w", iid, err)
	}
	out := noteFrom(n)
	return &out, nil
}

// UpdateMergeRequestNote replaces the body of note noteID on merge request
// iid (PUT, so it is retried like a read).
func (c *Client) UpdateMergeRequestNote(ctx context.Context, iid, noteID int64, body string) (*Note, error) {
	path := fmt.Sprintf("/projects/%s/merge_requests/%d/notes/%d", c.pathProj, iid, noteID)
	var n *gl.Note
	_, err := c.do(ctx, http.MethodPut, path, func(o ...gl.RequestOptionFunc) (*gl.Response, error) {
		var r *gl.Response
		var err error
		n, r, err = c.gl.Notes.UpdateMergeRequestNote(c.project, iid, noteID, &gl.UpdateMergeRequestNoteOptions{Body: gl.Ptr(body)}, o...)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("update note %d on merge request !%d: %w", noteID, iid, err)
	}
	out := noteFrom(n)
	return &out, nil
}
