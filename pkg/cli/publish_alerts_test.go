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

// TestPublishAlerts: publish --alerts on a history whose kind minors failed
// twice opens one issue per minor, mentioning the owner the minimal
// example names; with --commit it writes the table first.
func TestPublishAlerts(t *testing.T) {
	t.Parallel()
	s := gitlabtest.New(t)
	env := gitlabEnv(s)
	env["CI_PIPELINE_CREATED_AT"] = "2026-11-21T05:00:00Z"
	res := publishFixture(t, 900, results.Failed)
	second := publishFixture(t, 901, results.Failed)
	hist, err := results.Read(res)
	if err != nil {
		t.Fatal(err)
	}
	more, err := results.Read(second)
	if err != nil {
		t.Fatal(err)
	}
	more.Runs[0].FinishedAt = more.Runs[0].FinishedAt.Add(24 * time.Hour)
	hist.MergeFile(more)
	data, err := hist.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(res, data, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"publish", "--commit", "--alerts", "--pipeline", "901", "--matrix", "../../examples/minimal/matrix.yaml", "--results", res, "--root", "../.."}
	code, out, errOut := runIn(t, env, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	if !strings.Contains(out, "publish: alerts: 2 opened, 0 updated, 0 closed") || len(s.Commits()) != 1 {
		t.Errorf("out %q, %d commits", out, len(s.Commits()))
	}
	for _, is := range s.Issues() {
		if !strings.Contains(is.Description, "@your-group/kubernetes") {
			t.Errorf("issue %q does not mention the owner:\n%s", is.Title, is.Description)
		}
	}
	// A retried job: nothing new.
	if code, out, errOut = runIn(t, env, args...); code != 0 || !strings.Contains(out, "publish: alerts: 0 opened, 0 updated, 0 closed") || len(s.Issues()) != 2 {
		t.Errorf("retry: exit %d, %d issues: %s%s", code, len(s.Issues()), out, errOut)
	}
}

// TestPublishAlertsWithoutToken: with no token, or only the job token
// (which GitLab ignores on the issue routes), publish says so once and
// exits 0.
func TestPublishAlertsWithoutToken(t *testing.T) {
	t.Parallel()
	s := gitlabtest.New(t)
	digest := filepath.Join(t.TempDir(), "digest.md")
	if err := os.WriteFile(digest, []byte("# Digest\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := publishFixture(t, 902, results.Failed)
	for _, job := range []bool{false, true} {
		env := gitlabEnv(s)
		delete(env, "SUPPORTMATRIX_TOKEN")
		if job {
			env["CI_JOB_TOKEN"] = "job-token-secret"
		}
		code, out, errOut := runIn(t, env, "publish", "--alerts", "--digest-issue", digest, "--matrix", "../../examples/minimal/matrix.yaml", "--results", res)
		if code != 0 || strings.Count(out+errOut, "skipped the alert and digest issues") != 1 {
			t.Errorf("job token %v: exit %d: %s%s", job, code, out, errOut)
		}
		if job && !strings.Contains(out, "only a CI job token") {
			t.Errorf("the skip does not say why: %s", out)
		}
	}
	if n := len(s.Log()); n != 0 {
		t.Errorf("%d requests without a usable token", n)
	}
}

// TestDigestJob runs the component's digest job (templates/
// support-program.yml, task: digest): render --format digest, then publish
// --digest-issue with what it wrote.
func TestDigestJob(t *testing.T) {
	t.Parallel()
	s := gitlabtest.New(t)
	env := gitlabEnv(s)
	env["CI_PIPELINE_CREATED_AT"] = "2026-11-23T05:00:00Z"
	res := publishFixture(t, 904, results.Passed)
	code, digest, errOut := runIn(t, env, "render", "--format", "digest", "--matrix", "../../examples/minimal/matrix.yaml", "--results", res)
	if code != 0 || !strings.Contains(digest, "## Open alerts") {
		t.Fatalf("render --format digest: exit %d: %s%s", code, digest, errOut)
	}
	file := filepath.Join(t.TempDir(), "digest.md")
	if err := os.WriteFile(file, []byte(digest), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runIn(t, env, "publish", "--digest-issue", file, "--matrix", "../../examples/minimal/matrix.yaml", "--results", res); code != 0 {
		t.Fatalf("publish --digest-issue: exit %d: %s%s", code, out, errOut)
	}
	if is := s.Issues(); len(is) != 1 || !strings.Contains(is[0].Description, "## Open alerts") {
		t.Errorf("issues %+v, want the digest", is)
	}
}

// TestPublishDigestIssue: --digest-issue keeps one issue with the file's
// Markdown.
func TestPublishDigestIssue(t *testing.T) {
	t.Parallel()
	s := gitlabtest.New(t)
	env := gitlabEnv(s)
	digest := filepath.Join(t.TempDir(), "digest.md")
	res := publishFixture(t, 903, results.Passed)
	for _, week := range []string{"week 1", "week 2"} {
		if err := os.WriteFile(digest, []byte("# Digest\n\n"+week+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runIn(t, env, "publish", "--digest-issue", digest, "--matrix", "../../examples/minimal/matrix.yaml", "--results", res)
		if code != 0 || !strings.Contains(out, "publish: digest issue #1") {
			t.Fatalf("exit %d: %s%s", code, out, errOut)
		}
	}
	if is := s.Issues(); len(is) != 1 || !strings.HasSuffix(is[0].Description, "week 2\n") {
		t.Errorf("issues %+v", is)
	}
	if code, _, errOut := runIn(t, env, "publish", "--digest-issue", filepath.Join(t.TempDir(), "missing.md"), "--matrix", "../../examples/minimal/matrix.yaml", "--results", res); code == 0 || !strings.Contains(errOut, "missing.md") {
		t.Errorf("a missing digest file: exit %d: %s", code, errOut)
	}
	if code, _, _ := runIn(t, env, "publish", "--mr-note", "--mr", "1", "--alerts", "--matrix", "../../examples/minimal/matrix.yaml", "--results", res); code != ExitUsage {
		t.Errorf("--mr-note --alerts: exit %d, want 2", code)
	}
}
