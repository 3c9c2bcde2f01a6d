package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// publishFixture writes a results file holding one scheduled run of the
// minimal example and returns its path.
func publishFixture(t *testing.T, pipeline int64, status results.Status) string {
	t.Helper()
	f := results.New()
	at := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	run := results.Run{Pipeline: pipeline, Source: "schedule", Ref: "main", Counts: true, CreatedAt: at, FinishedAt: at.Add(time.Hour)}
	for _, v := range []string{"1.36", "1.37"} {
		for _, feat := range []string{"deploy", "runner"} {
			run.Cells = append(run.Cells, results.CellResult{Cell: "kind/" + v + "/" + feat, Kind: "test", Status: status, Attempts: 1})
		}
	}
	f.Merge(run)
	data, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "results.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPublishCommit(t *testing.T) {
	t.Parallel()
	s := gitlabtest.New(t)
	env := gitlabEnv(s)
	env["CI_PIPELINE_CREATED_AT"] = "2026-11-20T05:00:00Z"
	res := publishFixture(t, 900, results.Passed)
	args := []string{"publish", "--commit", "--matrix", "../../examples/minimal/matrix.yaml", "--results", res, "--root", "../.."}
	code, out, errOut := runIn(t, env, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	if len(s.Commits()) != 1 {
		t.Fatalf("%d commits, want 1", len(s.Commits()))
	}
	table, ok := s.File("main", "matrix/SUPPORT.md")
	if !ok || !strings.Contains(string(table), "kind") {
		t.Errorf("SUPPORT.md on main:\n%s", table)
	}
	if _, ok := s.File("main", "matrix/PROGRAM.md"); !ok {
		t.Error("PROGRAM.md was not committed")
	}
	// Again: nothing new, no commit.
	if code, out, errOut = runIn(t, env, args...); code != 0 || !strings.Contains(out, "nothing committed") {
		t.Errorf("second publish: exit %d: %s%s", code, out, errOut)
	}
	if len(s.Commits()) != 1 {
		t.Errorf("%d commits after a publish with nothing new", len(s.Commits()))
	}
	if strings.Contains(out+errOut, gitlabtest.DefaultToken) {
		t.Error("the token appears in the output")
	}
}

func TestPublishRefusesJobToken(t *testing.T) {
	t.Parallel()
	s := gitlabtest.New(t)
	env := gitlabEnv(s)
	delete(env, "SUPPORTMATRIX_TOKEN")
	env["CI_JOB_TOKEN"] = "job-token-secret"
	res := publishFixture(t, 901, results.Passed)
	code, out, errOut := runIn(t, env, "publish", "--commit", "--matrix", "../../examples/minimal/matrix.yaml", "--results", res)
	if code != ExitInvalid || !strings.Contains(errOut, "job token may not commit") {
		t.Errorf("exit %d: %s%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "job-token-secret") {
		t.Error("the token appears in the output")
	}
}

func TestPublishUsage(t *testing.T) {
	t.Parallel()
	if code, _, _ := runCLI(t, "publish"); code != ExitUsage {
		t.Errorf("neither --commit nor --mr-note: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, "publish", "--mr-note"); code != ExitUsage {
		t.Errorf("--mr-note without a merge request: exit %d, want 2", code)
	}
}

// TestPublishJudgedLater publishes the same run from a pipeline created ten
// days after it: the table decays to stale, says when it was judged, and
// the level log records the change with the run that decided it.
func TestPublishJudgedLater(t *testing.T) {
	t.Parallel()
	s := gitlabtest.New(t)
	env := gitlabEnv(s)
	res := publishFixture(t, 910, results.Passed)
	args := []string{"publish", "--commit", "--matrix", "../../examples/minimal/matrix.yaml", "--results", res, "--root", "../.."}
	env["CI_PIPELINE_CREATED_AT"] = "2026-11-20T05:00:00Z"
	if code, out, errOut := runIn(t, env, args...); code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	env["CI_PIPELINE_CREATED_AT"] = "2026-11-30T05:00:00Z"
	code, out, errOut := runIn(t, env, args...)
	if code != 0 || !strings.Contains(out, "-> stale") {
		t.Fatalf("exit %d, want level changes to stale: %s%s", code, out, errOut)
	}
	table, _ := s.File("main", "matrix/SUPPORT.md")
	if !strings.Contains(string(table), "Levels judged at 2026-11-30 05:00 UTC.") || !strings.Contains(string(table), "💤 stale") {
		t.Errorf("SUPPORT.md does not show the decay and when it was judged:\n%s", table)
	}
	log, ok := s.File("main", "matrix/levels.log")
	if !ok || strings.Count(string(log), "\"to\":\"stale\"") == 0 || !strings.Contains(string(log), "\"pipeline\":910") {
		t.Errorf("levels.log:\n%s", log)
	}
}

// TestPublishRefusesLocalHistory: a local run never reaches the default
// branch, and the refusal needs no token.
func TestPublishRefusesLocalHistory(t *testing.T) {
	t.Parallel()
	f := results.New()
	at := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	f.Merge(results.Run{Pipeline: 3, Source: "local", Local: true, CreatedAt: at, FinishedAt: at,
		Cells: []results.CellResult{{Cell: "kind/1.36/deploy", Kind: "test", Status: results.Passed}}})
	data, _ := f.Marshal()
	path := filepath.Join(t.TempDir(), "results.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runIn(t, nil, "publish", "--commit", "--matrix", "../../examples/minimal/matrix.yaml", "--results", path)
	if code != ExitInvalid || !strings.Contains(errOut, "local run #3") || !strings.Contains(errOut, "never count toward the published table") {
		t.Errorf("exit %d: %s%s", code, out, errOut)
	}
}

// TestPublishNoteDegrades: a merge-request pipeline normally has no
// protected variables and only a CI job token, which may not write notes
// (lib/api/notes.rb is not job_token_allowed): publish --mr-note says so in
// one line and exits 0, asking GitLab nothing, so the pipeline stays green;
// the results are in its own reports. Before, it exited 1.
func TestPublishNoteDegrades(t *testing.T) {
	t.Parallel()
	s := gitlabtest.New(t)
	env := gitlabEnv(s)
	delete(env, "SUPPORTMATRIX_TOKEN")
	env["CI_JOB_TOKEN"] = "job-token-secret"
	env["CI_MERGE_REQUEST_IID"] = "5"
	res := publishFixture(t, 902, results.Passed)
	code, out, errOut := runIn(t, env, "publish", "--mr-note", "--matrix", "../../examples/minimal/matrix.yaml", "--results", res)
	if code != 0 || !strings.Contains(out, "skipped the note on !5") || strings.Count(out, "\n") != 1 {
		t.Errorf("exit %d, want 0 and one line saying the note was skipped:\n%s%s", code, out, errOut)
	}
	if s.Requests() != 0 {
		t.Errorf("%d requests: nothing to ask GitLab", s.Requests())
	}
}

// TestPublishNoteOnForkMergeRequest: a fork's merge-request pipeline runs in
// the fork (CI_PROJECT_ID), the merge request lives in the target project
// (CI_MERGE_REQUEST_PROJECT_ID): the note goes there. A token that may not
// write on the target project skips the note with one line, exit 0.
func TestPublishNoteOnForkMergeRequest(t *testing.T) {
	t.Parallel()
	for _, canWrite := range []bool{true, false} {
		s := gitlabtest.New(t)
		s.AddMergeRequest(gitlabtest.MergeRequest{IID: 5, SourceBranch: "topic", TargetBranch: "main"})
		if !canWrite {
			s.SetToken("another-projects-token", false)
		}
		env := gitlabEnv(s)
		env["CI_PROJECT_ID"] = "77" // the fork
		env["CI_MERGE_REQUEST_PROJECT_ID"] = "1"
		env["CI_MERGE_REQUEST_SOURCE_PROJECT_ID"] = "77"
		env["CI_MERGE_REQUEST_IID"] = "5"
		res := publishFixture(t, 903, results.Passed)
		code, out, errOut := runIn(t, env, "publish", "--mr-note", "--matrix", "../../examples/minimal/matrix.yaml", "--results", res)
		if code != 0 {
			t.Fatalf("can write %v: exit %d:\n%s%s", canWrite, code, out, errOut)
		}
		if notes := s.Notes(5); canWrite != (len(notes) == 1) {
			t.Errorf("can write %v: %d notes on the target project's !5", canWrite, len(notes))
		}
		if !canWrite && !strings.Contains(out, "comes from a fork") {
			t.Errorf("no explanation of the skip:\n%s", out)
		}
	}
}
