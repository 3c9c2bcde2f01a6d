package publish_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/publish"
	"gitlab.com/supportmatrix/supportmatrix/pkg/render"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

const (
	resultsPath = "matrix/results.json"
	supportPath = "matrix/SUPPORT.md"
)

var day0 = time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC)

// scheduled is one nightly run: every cell of both minors with the given
// status for deploy (monitoring always passes).
func scheduled(pipeline int64, n int, deploy results.Status) *results.File {
	f := results.New()
	run := results.Run{Pipeline: pipeline, Source: "schedule", Ref: "main", Counts: true, TestReport: true,
		CreatedAt: day0.Add(time.Duration(n) * 24 * time.Hour), FinishedAt: day0.Add(time.Duration(n)*24*time.Hour + time.Hour)}
	for _, v := range []string{"1.35", "1.36"} {
		run.Cells = append(run.Cells,
			results.CellResult{Cell: "gke/" + v + "/deploy", Kind: "test", Status: deploy, Attempts: 1, JobURL: "https://gitlab.example/jobs/1"},
			results.CellResult{Cell: "gke/" + v + "/monitoring", Kind: "test", Status: results.Passed, Attempts: 1})
	}
	f.Merge(run)
	return f
}

type env struct {
	fake *gitlabtest.Server
	api  *gitlab.Client
	m    *matrix.Matrix
	log  bytes.Buffer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{fake: gitlabtest.New(t)}
	api, err := gitlab.New(gitlab.Config{BaseURL: e.fake.URL, Token: gitlabtest.DefaultToken, Project: e.fake.ProjectPath,
		Sleep: func(time.Duration) {}, Jitter: func(time.Duration) time.Duration { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	e.api = api
	if e.m, err = matrix.Load("testdata/matrix.yaml"); err != nil {
		t.Fatal(err)
	}
	return e
}

// repoRoot stands for the repository the matrix's docs paths are relative
// to: docs/gke.md covers every feature and lists the tested setting.
const repoRoot = "testdata/repo"

func (e *env) options(run *results.File) publish.CommitOptions {
	return publish.CommitOptions{
		Branch: gitlabtest.DefaultBranch, ResultsPath: resultsPath, Run: run, Message: "Publish the support table",
		BoundCounting: 30, BoundPreviews: 10, Log: &e.log,
		Render: func(f *results.File) (*publish.Rendered, error) {
			r, _ := docs.BuildReport(e.m, f, repoRoot, report.Options{})
			return &publish.Rendered{Files: []publish.File{{Path: supportPath, Content: render.Markdown(r)}}, Levels: publish.Levels(r)}, nil
		},
	}
}

// remoteResults reads the run history as the fake repository holds it.
func (e *env) remoteResults(t *testing.T, branch string) *results.File {
	t.Helper()
	data, ok := e.fake.File(branch, resultsPath)
	if !ok {
		t.Fatalf("%s has no %s", branch, resultsPath)
	}
	f, err := results.Parse(resultsPath, data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func pipelines(f *results.File) []int64 {
	var out []int64
	for _, r := range f.Runs {
		out = append(out, r.Pipeline)
	}
	return out
}

func TestFourScheduledRunsKeepEveryRunAndEarnSupport(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	wantLevel := []string{"qualifying", "qualifying", "supported", "supported"}
	for i := 0; i < 4; i++ {
		out, err := publish.Commit(ctx, e.api, e.options(scheduled(int64(101+i), i, results.Passed)))
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		if !out.Committed || out.Branch != "main" {
			t.Fatalf("run %d: committed=%v to %s", i+1, out.Committed, out.Branch)
		}
		table, _ := e.fake.File("main", supportPath)
		r, _ := docs.BuildReport(e.m, e.remoteResults(t, "main"), repoRoot, report.Options{})
		if got := string(r.Distributions[0].Versions[0].Level); got != wantLevel[i] {
			t.Errorf("after run %d: gke/1.35 is %s, want %s", i+1, got, wantLevel[i])
		}
		if !bytes.Contains(table, []byte("Google Kubernetes Engine")) {
			t.Errorf("after run %d: SUPPORT.md lacks the distribution:\n%s", i+1, table)
		}
	}
	if got := pipelines(e.remoteResults(t, "main")); len(got) != 4 || got[0] != 104 || got[3] != 101 {
		t.Errorf("history = %v, want 104 103 102 101", got)
	}
	if n := len(e.fake.Commits()); n != 4 {
		t.Errorf("%d commits, want 4 (one per run, table and results together)", n)
	}
	for _, c := range e.fake.Commits() {
		if len(c.Actions) != 2 {
			t.Errorf("commit %s carries %v, want results and table together", c.ID, c.Actions)
		}
	}
}

func TestNothingNewMakesNoCommit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	run := scheduled(201, 0, results.Passed)
	if _, err := publish.Commit(ctx, e.api, e.options(run)); err != nil {
		t.Fatal(err)
	}
	out, err := publish.Commit(ctx, e.api, e.options(run))
	if err != nil {
		t.Fatal(err)
	}
	if out.Committed || len(e.fake.Commits()) != 1 {
		t.Errorf("second publish of the same run committed (%d commits)", len(e.fake.Commits()))
	}
	if !strings.Contains(e.log.String(), "nothing changed") {
		t.Errorf("log does not say nothing changed:\n%s", e.log.String())
	}
}

// racingAPI commits another pipeline's results just before our first
// commit, as a concurrent publish would.
type racingAPI struct {
	publish.API
	fake  *gitlabtest.Server
	other []byte
	raced int
}

func (r *racingAPI) CreateCommit(ctx context.Context, req gitlab.CommitRequest) (*gitlab.Commit, error) {
	if r.raced == 0 {
		r.raced++
		r.fake.SetFile("main", resultsPath, r.other)
	}
	return r.API.CreateCommit(ctx, req)
}

func TestConcurrentCommitIsSurvived(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := publish.Commit(ctx, e.api, e.options(scheduled(301, 0, results.Passed))); err != nil {
		t.Fatal(err)
	}
	// Someone else publishes pipeline 302 while we publish 303.
	other := e.remoteResults(t, "main")
	other.MergeFile(scheduled(302, 1, results.Passed))
	otherData, _ := other.Marshal()
	api := &racingAPI{API: e.api, fake: e.fake, other: otherData}
	out, err := publish.Commit(ctx, api, e.options(scheduled(303, 2, results.Passed)))
	if err != nil {
		t.Fatal(err)
	}
	if out.Attempts != 2 {
		t.Errorf("attempts = %d, want 2 (one conflict, one retry)", out.Attempts)
	}
	if got := pipelines(e.remoteResults(t, "main")); len(got) != 3 || got[0] != 303 || got[1] != 302 || got[2] != 301 {
		t.Errorf("history = %v, want 303 302 301: the concurrent run must not be lost", got)
	}
}

func TestDowngradeOpensMergeRequest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := publish.Commit(ctx, e.api, e.options(scheduled(int64(401+i), i, results.Passed))); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := e.fake.File("main", resultsPath)
	out, err := publish.Commit(ctx, e.api, e.options(scheduled(404, 3, results.Failed)))
	if err != nil {
		t.Fatal(err)
	}
	if out.Branch == "main" || out.MergeRequest == nil {
		t.Fatalf("a drop from supported went to %s without a merge request", out.Branch)
	}
	if want := []string{"gke/1.35: supported -> failing", "gke/1.36: supported -> failing"}; strings.Join(out.Downgrades, "|") != strings.Join(want, "|") {
		t.Errorf("downgrades = %v, want %v", out.Downgrades, want)
	}
	after, _ := e.fake.File("main", resultsPath)
	if !bytes.Equal(before, after) {
		t.Error("the default branch changed: a downgrade must wait for review")
	}
	if got := pipelines(e.remoteResults(t, out.Branch)); len(got) != 4 || got[0] != 404 {
		t.Errorf("downgrade branch history = %v, want 404 first", got)
	}
	mrs := e.fake.MergeRequests()
	if len(mrs) != 1 || mrs[0].SourceBranch != out.Branch || mrs[0].TargetBranch != "main" {
		t.Errorf("merge requests = %+v", mrs)
	}
}

func TestNoteIsUpdatedInPlace(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.fake.AddMergeRequest(gitlabtest.MergeRequest{IID: 7, Title: "Add 1.37", State: "opened", SourceBranch: "add-137", TargetBranch: "main"})
	e.fake.AddNote(7, gitlabtest.Note{Body: "Looks good to me", Author: "reviewer"})
	run := scheduled(501, 0, results.Failed).Runs[0]
	run.Counts, run.Source, run.MR = false, "merge_request_event", 7
	first, err := publish.Note(ctx, e.api, 7, publish.NoteBody("## Plan\n\n1 added", &run))
	if err != nil || !first.Created {
		t.Fatalf("first note: %+v, %v", first, err)
	}
	run.Cells[0].Status = results.Passed
	second, err := publish.Note(ctx, e.api, 7, publish.NoteBody("## Plan\n\n1 added", &run))
	if err != nil || !second.Updated || second.Note.ID != first.Note.ID {
		t.Fatalf("second note: %+v, %v", second, err)
	}
	third, err := publish.Note(ctx, e.api, 7, publish.NoteBody("## Plan\n\n1 added", &run))
	if err != nil || third.Created || third.Updated {
		t.Fatalf("an unchanged note was written again: %+v, %v", third, err)
	}
	notes := e.fake.Notes(7)
	if len(notes) != 2 {
		t.Fatalf("%d notes, want the reviewer's and ours", len(notes))
	}
	if !strings.Contains(notes[1].Body, "| `gke/1.35/deploy` | ✅ passed |") {
		t.Errorf("note body:\n%s", notes[1].Body)
	}
}

// TestDowngradeRerunSucceeds: re-running a publish whose downgrade branch
// exists from the first run succeeds (GitLab refuses a commit that would
// start an existing branch: "A branch called '…' already exists",
// app/services/commits/create_service.rb; the fake answers the same). The
// re-run commits onto the branch when something changed there, and keeps
// one merge request.
func TestDowngradeRerunSucceeds(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := publish.Commit(ctx, e.api, e.options(scheduled(int64(401+i), i, results.Passed))); err != nil {
			t.Fatal(err)
		}
	}
	first, err := publish.Commit(ctx, e.api, e.options(scheduled(404, 3, results.Failed)))
	if err != nil {
		t.Fatal(err)
	}
	// Same run again (a retried job): nothing new on the branch.
	again, err := publish.Commit(ctx, e.api, e.options(scheduled(404, 3, results.Failed)))
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if again.Branch != first.Branch || again.Committed || again.MergeRequest == nil || again.MergeRequest.IID != first.MergeRequest.IID {
		t.Errorf("re-run: branch %s committed %v mr %+v, want no commit on %s and the same merge request", again.Branch, again.Committed, again.MergeRequest, first.Branch)
	}
	// The main branch moved meanwhile (another run): the re-run brings the
	// branch up to date with one more commit.
	e.fake.SetFile("main", "matrix/other.txt", []byte("x"))
	opts := e.options(scheduled(404, 3, results.Failed))
	opts.DowngradeBranch = first.Branch
	if _, err := publish.Commit(ctx, e.api, opts); err != nil {
		t.Fatalf("re-run after main moved: %v", err)
	}
	if mrs := e.fake.MergeRequests(); len(mrs) != 1 {
		t.Errorf("%d merge requests, want 1", len(mrs))
	}
}
