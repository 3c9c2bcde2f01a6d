package gitlab_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
)

// TestIssueFlow drives the issue routes of lib/api/issues.rb and
// lib/api/notes.rb through the real client: create with a label, list by
// label, state and search, edit, close, reopen, comment.
func TestIssueFlow(t *testing.T) {
	t.Parallel()
	fake := gitlabtest.New(t)
	c, _, _ := newClient(t, fake, nil)
	ctx := context.Background()

	if created, err := c.EnsureLabel(ctx, "support-alert", "#d9534f", "opened by supportmatrix"); err != nil || !created {
		t.Fatalf("EnsureLabel = %v, %v; want created", created, err)
	}
	if created, err := c.EnsureLabel(ctx, "support-alert", "#d9534f", "opened by supportmatrix"); err != nil || created {
		t.Fatalf("EnsureLabel again = %v, %v; want found", created, err)
	}
	fake.AddIssue(gitlabtest.Issue{Title: "unrelated", Description: "no label"})
	is, err := c.CreateIssue(ctx, "GKE 1.35 is failing", "<!-- marker gke/1.35 -->\nbody", []string{"support-alert"})
	if err != nil {
		t.Fatal(err)
	}
	if is.IID != 2 || is.State != "opened" || !strings.HasSuffix(is.WebURL, "/-/issues/2") || len(is.Labels) != 1 {
		t.Fatalf("created %+v", is)
	}
	for _, tc := range []struct {
		name string
		q    gitlab.IssueQuery
		want int
	}{
		{"all", gitlab.IssueQuery{}, 2},
		{"label", gitlab.IssueQuery{Labels: []string{"support-alert"}}, 1},
		{"label and state", gitlab.IssueQuery{Labels: []string{"support-alert"}, State: "opened"}, 1},
		{"closed", gitlab.IssueQuery{Labels: []string{"support-alert"}, State: "closed"}, 0},
		{"search description", gitlab.IssueQuery{Search: "marker gke/1.35"}, 1},
		{"two labels", gitlab.IssueQuery{Labels: []string{"support-alert", "other"}}, 0},
	} {
		got, err := c.ListIssues(ctx, tc.q)
		if err != nil || len(got) != tc.want {
			t.Errorf("%s: ListIssues = %d issues, %v; want %d", tc.name, len(got), err, tc.want)
		}
	}
	if _, err := c.UpdateIssue(ctx, is.IID, gitlab.IssueUpdate{Description: "new body"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateIssueNote(ctx, is.IID, "green again"); err != nil {
		t.Fatal(err)
	}
	closed, err := c.UpdateIssue(ctx, is.IID, gitlab.IssueUpdate{StateEvent: gitlab.StateEventClose})
	if err != nil || closed.State != "closed" || closed.Description != "new body" {
		t.Fatalf("close = %+v, %v", closed, err)
	}
	if got, _ := c.ListIssues(ctx, gitlab.IssueQuery{Labels: []string{"support-alert"}, State: "opened"}); len(got) != 0 {
		t.Errorf("a closed issue is listed as opened: %+v", got)
	}
	if re, err := c.UpdateIssue(ctx, is.IID, gitlab.IssueUpdate{StateEvent: gitlab.StateEventReopen}); err != nil || re.State != "opened" {
		t.Fatalf("reopen = %+v, %v", re, err)
	}
	notes, err := c.ListIssueNotes(ctx, is.IID)
	if err != nil || len(notes) != 1 || notes[0].Body != "green again" {
		t.Fatalf("notes = %+v, %v", notes, err)
	}
	// The list asks GitLab for the oldest first, so that the first issue
	// with a marker is the one to keep.
	lists := 0
	for _, r := range fake.Log() {
		if r.Method == http.MethodGet && r.Path == "/projects/group/project/issues" {
			lists++
			if !strings.Contains(r.Query, "order_by=created_at") || !strings.Contains(r.Query, "sort=asc") {
				t.Errorf("issue list without order_by=created_at&sort=asc: %s", r.Query)
			}
		}
	}
	if lists < 7 {
		t.Errorf("saw %d issue lists in the log, want 7", lists)
	}
}

// TestIssueErrors: GitLab's refusals reach the caller as our sentinels.
func TestIssueErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("job token", func(t *testing.T) {
		// No issue or label route is job_token_allowed (lib/api/issues.rb,
		// lib/api/labels.rb): the token is ignored and the private project
		// is not found.
		fake := gitlabtest.New(t)
		fake.SetToken("job-token-value", true)
		c, _, _ := newClient(t, fake, func(cfg *gitlab.Config) { cfg.Token, cfg.JobToken = "job-token-value", true })
		if _, err := c.ListIssues(ctx, gitlab.IssueQuery{}); !errors.Is(err, gitlab.ErrNotFound) {
			t.Errorf("ListIssues with a job token: %v, want 404", err)
		}
		if _, err := c.CreateIssue(ctx, "t", "d", nil); !errors.Is(err, gitlab.ErrNotFound) {
			t.Errorf("CreateIssue with a job token: %v, want 404", err)
		}
		if _, err := c.EnsureLabel(ctx, "l", "#fff", ""); !errors.Is(err, gitlab.ErrNotFound) {
			t.Errorf("EnsureLabel with a job token: %v, want 404", err)
		}
	})
	t.Run("guest may not make the label", func(t *testing.T) {
		// A guest's issue would silently lose a label that does not exist
		// (app/services/labels/find_or_create_service.rb); EnsureLabel
		// fails loudly instead.
		fake := gitlabtest.New(t)
		fake.SetRole(gitlabtest.RoleGuest)
		c, _, _ := newClient(t, fake, nil)
		if _, err := c.EnsureLabel(ctx, "support-alert", "#fff", ""); !errors.Is(err, gitlab.ErrForbidden) {
			t.Errorf("EnsureLabel as guest: %v, want 403", err)
		}
		is, err := c.CreateIssue(ctx, "t", "d", []string{"support-alert"})
		if err != nil || len(is.Labels) != 0 {
			t.Errorf("guest's issue = %+v, %v; GitLab drops the label it may not create", is, err)
		}
	})
	t.Run("label made concurrently", func(t *testing.T) {
		fake := gitlabtest.New(t)
		c, _, _ := newClient(t, fake, nil)
		fake.Inject(gitlabtest.Fault{Method: http.MethodGet, Path: "/labels/", Status: http.StatusNotFound, Times: 1})
		fake.AddLabel(gitlabtest.Label{Name: "support-alert", Color: "#fff"})
		if created, err := c.EnsureLabel(ctx, "support-alert", "#fff", ""); err != nil || created {
			t.Errorf("EnsureLabel after a 409 = %v, %v; want found", created, err)
		}
	})
	t.Run("title too long", func(t *testing.T) {
		fake := gitlabtest.New(t)
		c, _, _ := newClient(t, fake, nil)
		_, err := c.CreateIssue(ctx, strings.Repeat("x", gitlabtest.MaxIssueTitle+1), "d", nil)
		if err == nil || !strings.Contains(err.Error(), "title is too long") {
			t.Errorf("CreateIssue with a long title: %v", err)
		}
	})
	t.Run("create not repeated after a 502", func(t *testing.T) {
		// The POST reached GitLab but the answer was lost: repeating it
		// would open a second issue.
		fake := gitlabtest.New(t)
		c, _, _ := newClient(t, fake, nil)
		fake.Inject(gitlabtest.Fault{Method: http.MethodPost, Path: "/issues", Status: http.StatusBadGateway, AfterApply: true, Times: 1})
		if _, err := c.CreateIssue(ctx, "t", "d", nil); !errors.Is(err, gitlab.ErrUnavailable) {
			t.Errorf("CreateIssue after a 502: %v, want unavailable", err)
		}
		if n := len(fake.Issues()); n != 1 {
			t.Errorf("%d issues, want the 1 the lost answer made", n)
		}
	})
}
