package gitlab_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
)

func TestDefaultBranch(t *testing.T) {
	t.Parallel()
	fake := gitlabtest.New(t)
	c, _, _ := newClient(t, fake, nil)
	got, err := c.DefaultBranch(context.Background())
	if err != nil || got != gitlabtest.DefaultBranch {
		t.Fatalf("DefaultBranch = %q, %v; want %q", got, err, gitlabtest.DefaultBranch)
	}
}

func TestGetFile(t *testing.T) {
	t.Parallel()
	fake := gitlabtest.New(t)
	commit := fake.SetFile("main", "matrix/SUPPORT.md", []byte("# Support\n"))
	c, _, _ := newClient(t, fake, nil)
	ctx := context.Background()

	content, last, err := c.GetFile(ctx, "matrix/SUPPORT.md", "main")
	if err != nil {
		t.Fatal(err)
	}
	if string(content) != "# Support\n" || last != commit {
		t.Errorf("GetFile = %q, %q; want %q, %q", content, last, "# Support\n", commit)
	}
	if p := fake.Log()[0].Path; p != "/projects/group/project/repository/files/matrix/SUPPORT.md" {
		t.Errorf("requested %q", p)
	}

	for _, tc := range []struct{ path, ref string }{
		{"matrix/results.json", "main"},
		{"matrix/SUPPORT.md", "no-such-branch"},
	} {
		_, _, err := c.GetFile(ctx, tc.path, tc.ref)
		if !errors.Is(err, gitlab.ErrNotFound) {
			t.Errorf("GetFile(%s, %s) err = %v, want ErrNotFound", tc.path, tc.ref, err)
		}
	}
}

func TestCreateCommit(t *testing.T) {
	t.Parallel()
	fake := gitlabtest.New(t)
	first := fake.SetFile("main", "matrix/SUPPORT.md", []byte("v1\n"))
	c, _, _ := newClient(t, fake, nil)
	ctx := context.Background()

	_, last, err := c.GetFile(ctx, "matrix/SUPPORT.md", "main")
	if err != nil {
		t.Fatal(err)
	}
	cm, err := c.CreateCommit(ctx, gitlab.CommitRequest{
		Branch:  "main",
		Message: "Update the support table",
		Actions: []gitlab.FileAction{
			{Action: gitlab.ActionUpdate, Path: "matrix/SUPPORT.md", Content: []byte("v2\n"), LastCommitID: last},
			{Action: gitlab.ActionCreate, Path: "matrix/results.json", Content: []byte("{}\n")},
		},
	})
	if err != nil {
		t.Fatalf("CreateCommit: %v", err)
	}
	if cm.ID == "" || !strings.HasSuffix(cm.WebURL, "/-/commit/"+cm.ID) {
		t.Errorf("commit = %+v", cm)
	}
	if got, _ := fake.File("main", "matrix/SUPPORT.md"); string(got) != "v2\n" {
		t.Errorf("SUPPORT.md = %q after commit", got)
	}

	// A second writer still holding the first commit id loses.
	_, err = c.CreateCommit(ctx, gitlab.CommitRequest{
		Branch: "main", Message: "stale",
		Actions: []gitlab.FileAction{{Action: gitlab.ActionUpdate, Path: "matrix/SUPPORT.md", Content: []byte("v3\n"), LastCommitID: first}},
	})
	if !errors.Is(err, gitlab.ErrConflict) {
		t.Fatalf("stale last_commit_id: err = %v, want ErrConflict", err)
	}
	if errors.Is(err, gitlab.ErrUnavailable) {
		t.Error("a conflict must not read as ErrUnavailable")
	}
	if got, _ := fake.File("main", "matrix/SUPPORT.md"); string(got) != "v2\n" {
		t.Errorf("SUPPORT.md = %q after a refused commit", got)
	}

	// Creating an existing file is a conflict too.
	_, err = c.CreateCommit(ctx, gitlab.CommitRequest{
		Branch: "main", Message: "again",
		Actions: []gitlab.FileAction{{Action: gitlab.ActionCreate, Path: "matrix/results.json", Content: []byte("{}\n")}},
	})
	if !errors.Is(err, gitlab.ErrConflict) {
		t.Errorf("create existing file: err = %v, want ErrConflict", err)
	}

	// A new branch from StartBranch.
	if _, err := c.CreateCommit(ctx, gitlab.CommitRequest{
		Branch: "supportmatrix/update", StartBranch: "main", Message: "Propose",
		Actions: []gitlab.FileAction{{Action: gitlab.ActionUpdate, Path: "matrix/SUPPORT.md", Content: []byte("v4\n")}},
	}); err != nil {
		t.Fatalf("commit to a new branch: %v", err)
	}
	if got, _ := fake.File("supportmatrix/update", "matrix/SUPPORT.md"); string(got) != "v4\n" {
		t.Errorf("new branch SUPPORT.md = %q", got)
	}
	if got, _ := fake.File("main", "matrix/SUPPORT.md"); string(got) != "v2\n" {
		t.Errorf("main changed by a commit to another branch: %q", got)
	}

	if _, err := c.CreateCommit(ctx, gitlab.CommitRequest{Branch: "main", Message: "x",
		Actions: []gitlab.FileAction{{Action: "delete", Path: "a"}}}); err == nil {
		t.Error("an unknown action was sent")
	}
}

// TestPostNotRetried: a POST answered 502 or dropped may have been applied;
// it must be sent once and reported as ErrUnavailable. A 429 came before any
// processing and is retried.
func TestPostNotRetried(t *testing.T) {
	t.Parallel()
	commitReq := gitlab.CommitRequest{Branch: "main", Message: "Update",
		Actions: []gitlab.FileAction{{Action: gitlab.ActionCreate, Path: "matrix/SUPPORT.md", Content: []byte("x")}}}
	tests := []struct {
		name        string
		fault       gitlabtest.Fault
		call        func(*gitlab.Client) error
		wantErr     error
		wantPosts   int
		wantCommits int
		wantNotes   int
	}{
		{
			name:  "commit 502 applied",
			fault: gitlabtest.Fault{Method: "POST", Path: "/repository/commits", Status: 502, Times: 1, AfterApply: true},
			call: func(c *gitlab.Client) error {
				_, err := c.CreateCommit(context.Background(), commitReq)
				return err
			},
			wantErr: gitlab.ErrUnavailable, wantPosts: 1, wantCommits: 1,
		},
		{
			name:  "commit connection dropped",
			fault: gitlabtest.Fault{Method: "POST", Path: "/repository/commits", Drop: true, Times: 1},
			call: func(c *gitlab.Client) error {
				_, err := c.CreateCommit(context.Background(), commitReq)
				return err
			},
			wantErr: gitlab.ErrUnavailable, wantPosts: 1, wantCommits: 0,
		},
		{
			name:  "note 503",
			fault: gitlabtest.Fault{Method: "POST", Path: "/notes", Status: 503, Times: 1},
			call: func(c *gitlab.Client) error {
				_, err := c.CreateMergeRequestNote(context.Background(), 1, "results")
				return err
			},
			wantErr: gitlab.ErrUnavailable, wantPosts: 1,
		},
		{
			name:  "commit 429 retried",
			fault: gitlabtest.Fault{Method: "POST", Path: "/repository/commits", Status: 429, RetryAfter: "3", Times: 2},
			call: func(c *gitlab.Client) error {
				_, err := c.CreateCommit(context.Background(), commitReq)
				return err
			},
			wantPosts: 3, wantCommits: 1,
		},
		{
			name:  "note 429 retried",
			fault: gitlabtest.Fault{Method: "POST", Path: "/notes", Status: 429, Times: 1},
			call: func(c *gitlab.Client) error {
				_, err := c.CreateMergeRequestNote(context.Background(), 1, "results")
				return err
			},
			wantPosts: 2, wantNotes: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := gitlabtest.New(t)
			fake.AddMergeRequest(gitlabtest.MergeRequest{IID: 1, Title: "t", SourceBranch: "feature", TargetBranch: "main"})
			fake.Inject(tc.fault)
			c, _, _ := newClient(t, fake, nil)
			err := tc.call(c)
			if tc.wantErr == nil && err != nil {
				t.Fatalf("err = %v", err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil && !strings.Contains(err.Error(), "not retried") {
				t.Errorf("error %q does not say the request was not retried", err)
			}
			posts := 0
			for _, r := range fake.Log() {
				if r.Method == "POST" {
					posts++
				}
			}
			if posts != tc.wantPosts {
				t.Errorf("%d POSTs, want %d", posts, tc.wantPosts)
			}
			if n := len(fake.Commits()); n != tc.wantCommits {
				t.Errorf("%d commits, want %d", n, tc.wantCommits)
			}
			if n := len(fake.Notes(1)); n != tc.wantNotes {
				t.Errorf("%d notes, want %d", n, tc.wantNotes)
			}
		})
	}
}

func TestMergeRequestFlow(t *testing.T) {
	t.Parallel()
	fake := gitlabtest.New(t)
	fake.SetFile("main", "README.md", []byte("hi"))
	c, _, _ := newClient(t, fake, nil)
	ctx := context.Background()

	if _, err := c.FindMergeRequest(ctx, "supportmatrix/versions"); !errors.Is(err, gitlab.ErrNotFound) {
		t.Fatalf("FindMergeRequest before creation: err = %v, want ErrNotFound", err)
	}
	if err := c.CreateBranch(ctx, "supportmatrix/versions", "main"); err != nil {
		t.Fatalf("CreateBranch: %v", err)
	}
	if err := c.CreateBranch(ctx, "supportmatrix/versions", "main"); !errors.Is(err, gitlab.ErrConflict) {
		t.Errorf("CreateBranch twice: err = %v, want ErrConflict", err)
	}
	mr, err := c.CreateMergeRequest(ctx, "supportmatrix/versions", "main", "Sync Kubernetes versions", "Adds 1.37")
	if err != nil {
		t.Fatalf("CreateMergeRequest: %v", err)
	}
	want := &gitlab.MergeRequest{IID: 1, Title: "Sync Kubernetes versions", State: "opened",
		SourceBranch: "supportmatrix/versions", TargetBranch: "main", WebURL: fake.URL[:len(fake.URL)-len("/api/v4")] + "/group/project/-/merge_requests/1"}
	if !reflect.DeepEqual(mr, want) {
		t.Errorf("CreateMergeRequest = %+v, want %+v", mr, want)
	}
	if _, err := c.CreateMergeRequest(ctx, "supportmatrix/versions", "main", "again", ""); !errors.Is(err, gitlab.ErrConflict) {
		t.Errorf("second open MR: err = %v, want ErrConflict", err)
	}
	found, err := c.FindMergeRequest(ctx, "supportmatrix/versions")
	if err != nil || !reflect.DeepEqual(found, want) {
		t.Errorf("FindMergeRequest = %+v, %v; want %+v", found, err, want)
	}
}

func TestMergeRequestNotes(t *testing.T) {
	t.Parallel()
	fake := gitlabtest.New(t)
	fake.AddMergeRequest(gitlabtest.MergeRequest{IID: 7, Title: "Add EKS", SourceBranch: "eks", TargetBranch: "main"})
	// 150 notes: two pages.
	var ids []int64
	for i := range 150 {
		ids = append(ids, fake.AddNote(7, gitlabtest.Note{Body: fmt.Sprintf("comment %d", i), Author: "alice", System: i%10 == 0}))
	}
	c, _, _ := newClient(t, fake, nil)
	ctx := context.Background()

	notes, err := c.ListMergeRequestNotes(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 150 || notes[0].ID != ids[0] || notes[149].ID != ids[149] || notes[0].Body != "comment 0" || !notes[0].System || notes[1].Author != "alice" {
		t.Fatalf("notes: %d, first %+v", len(notes), notes[0])
	}
	if c.Requests() != 2 {
		t.Errorf("listing 150 notes took %d requests, want 2", c.Requests())
	}

	n, err := c.CreateMergeRequestNote(ctx, 7, "<!-- supportmatrix -->\nplan")
	if err != nil {
		t.Fatal(err)
	}
	// A PUT is idempotent: a 502 is retried.
	fake.Inject(gitlabtest.Fault{Method: "PUT", Status: 502, Times: 2})
	up, err := c.UpdateMergeRequestNote(ctx, 7, n.ID, "<!-- supportmatrix -->\nresults")
	if err != nil {
		t.Fatalf("UpdateMergeRequestNote: %v", err)
	}
	if up.ID != n.ID || up.Body != "<!-- supportmatrix -->\nresults" {
		t.Errorf("updated note = %+v", up)
	}
	all := fake.Notes(7)
	if last := all[len(all)-1]; len(all) != 151 || last.Body != "<!-- supportmatrix -->\nresults" {
		t.Errorf("fake holds %d notes, last %+v", len(all), last)
	}
	if _, err := c.UpdateMergeRequestNote(ctx, 7, 1, "x"); !errors.Is(err, gitlab.ErrNotFound) {
		t.Errorf("update of a missing note: err = %v, want ErrNotFound", err)
	}
	if _, err := c.ListMergeRequestNotes(ctx, 99); !errors.Is(err, gitlab.ErrNotFound) {
		t.Errorf("notes of a missing MR: err = %v, want ErrNotFound", err)
	}
}
