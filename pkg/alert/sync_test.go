package alert_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
	"gitlab.com/supportmatrix/supportmatrix/pkg/alert"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab/gitlabtest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// The tests drive the real client (pkg/gitlab) against the test GitLab on
// GitLab's routes: lib/api/issues.rb (list by labels, state and search;
// create; edit with state_event close), lib/api/notes.rb (issue notes) and
// lib/api/labels.rb with lib/api/helpers/label_helpers.rb (the label).

// base is midnight before the first nightly run.
var base = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

// program is a matrix and its history, published night after night.
type program struct {
	t    *testing.T
	m    *matrix.Matrix
	hist *results.File
	now  time.Time
}

func newProgram(t *testing.T) *program {
	t.Helper()
	m, err := matrix.Load("testdata/matrix.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return &program{t: t, m: m, hist: results.New()}
}

// night records nightly run n (pipeline 100+n, finished at 02:00 on day n):
// every cell passed but those in bad, which maps a cell id to failed, or a
// chain id (gke/1.35) to broken: its cluster did not come up.
func (p *program) night(n int, bad map[string]results.Status) {
	fin := base.Add(time.Duration(n)*24*time.Hour + 2*time.Hour)
	id := int64(100 + n)
	run := results.Run{
		Pipeline: id, URL: fmt.Sprintf("https://gitlab.example/group/project/-/pipelines/%d", id),
		Source: "schedule", Ref: "main", Counts: true, TestReport: true,
		CreatedAt: fin.Add(-time.Hour), FinishedAt: fin,
	}
	plan := matrix.Expand(p.m)
	for i, c := range plan.Cells {
		if c.Action == matrix.ActionExclude {
			continue
		}
		chain := c.Distribution.ID + "/" + c.Kubernetes.String()
		cr := results.CellResult{
			Cell: c.ID, Kind: "test", Status: results.Passed, JobID: id*1000 + int64(i),
			JobURL: fmt.Sprintf("https://gitlab.example/group/project/-/jobs/%d", id*1000+int64(i)),
		}
		if s, ok := bad[c.ID]; ok {
			cr.Status, cr.FailureReason = s, "script_failure"
		}
		if bad[chain] == results.Broken {
			cr.Status, cr.Reason = results.Broken, "cluster did not come up"
		}
		run.Cells = append(run.Cells, cr)
	}
	for chain, s := range bad {
		if s == results.Broken {
			run.Infra = append(run.Infra, results.InfraResult{
				Chain: chain, Step: results.StepConnect, Kubernetes: strings.Split(chain, "/")[1],
				Reason: "cluster did not come up", JobID: id*1000 + 999,
				JobURL: fmt.Sprintf("https://gitlab.example/group/project/-/jobs/%d", id*1000+999),
			})
		}
	}
	p.hist.Merge(run)
	p.now = fin.Add(time.Hour)
}

// alerts evaluates the program as publish does after the newest night.
func (p *program) alerts() []alert.Alert {
	rep := report.Build(p.m, p.hist, report.Options{Now: p.now})
	return alert.Evaluate(p.m, p.hist, rep, p.now)
}

// publish syncs the alerts with GitLab through a new client.
func (p *program) publish(fake *gitlabtest.Server) (*alert.Outcome, error) {
	return alert.Sync(context.Background(), client(p.t, fake), p.alerts(), alert.Options{Now: p.now})
}

func (p *program) mustPublish(fake *gitlabtest.Server) *alert.Outcome {
	p.t.Helper()
	out, err := p.publish(fake)
	if err != nil {
		p.t.Fatalf("publish: %v", err)
	}
	return out
}

func client(t testing.TB, fake *gitlabtest.Server) *gitlab.Client {
	c, err := gitlab.New(gitlab.Config{
		BaseURL: fake.URL, Token: gitlabtest.DefaultToken, Project: fake.ProjectPath,
		Sleep: func(time.Duration) {}, Jitter: func(time.Duration) time.Duration { return 0 },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// openIssues returns the open issues of the fake.
func openIssues(fake *gitlabtest.Server) []gitlabtest.Issue {
	var out []gitlabtest.Issue
	for _, is := range fake.Issues() {
		if is.State == "opened" {
			out = append(out, is)
		}
	}
	return out
}

// TestNightlySequence is the issue's scripted sequence: green, red, red,
// green, then a cluster outage. Exactly one issue opens, on the second
// red night; it mentions the owners and links the failing jobs; the green
// night closes it with a note; the single outage opens nothing. Every
// publish runs twice, as a retried job would: the repeat changes nothing.
func TestNightlySequence(t *testing.T) {
	fake := gitlabtest.New(t)
	p := newProgram(t)
	red := map[string]results.Status{"gke/1.35/runner": results.Failed}
	steps := []struct {
		name       string
		bad        map[string]results.Status
		issues     int // issues in the project after the night
		open       int
		notes      int // notes on issue #1
		wantAction string
	}{
		{"green", nil, 0, 0, 0, ""},
		{"first red night: below alert_after", red, 0, 0, 0, ""},
		{"second red night", red, 1, 1, 0, "opened"},
		{"green again", nil, 1, 0, 1, "closed"},
		{"one cluster outage: below alert_after", map[string]results.Status{"gke/1.35": results.Broken}, 1, 0, 1, ""},
	}
	for i, s := range steps {
		p.night(i+1, s.bad)
		out := p.mustPublish(fake)
		again := p.mustPublish(fake) // a retried publish job
		if len(again.Actions) != 0 {
			t.Errorf("%s: a repeated publish did %+v", s.name, again.Actions)
		}
		issues := fake.Issues()
		if len(issues) != s.issues || len(openIssues(fake)) != s.open {
			t.Fatalf("%s: %d issues, %d open; want %d, %d", s.name, len(issues), len(openIssues(fake)), s.issues, s.open)
		}
		if s.wantAction != "" && out.Count(s.wantAction) != 1 {
			t.Errorf("%s: actions %+v, want one %q", s.name, out.Actions, s.wantAction)
		}
		if s.wantAction == "" && len(out.Actions) != 0 {
			t.Errorf("%s: actions %+v, want none", s.name, out.Actions)
		}
		if len(issues) > 0 && len(fake.IssueNotes(1)) != s.notes {
			t.Errorf("%s: issue #1 has %d notes, want %d", s.name, len(fake.IssueNotes(1)), s.notes)
		}
		if s.wantAction == "opened" {
			is := issues[0]
			golden.Assert(t, "opened.golden", []byte(is.Title+"\n\n"+is.Description))
			for _, want := range []string{"@k8s-support/gke", "@alice", "@runner-team", "<!-- supportmatrix:alert gke/1.35 -->",
				"https://gitlab.example/group/project/-/pipelines/102", "https://gitlab.example/group/project/-/pipelines/103"} {
				if !strings.Contains(is.Description, want) {
					t.Errorf("the issue does not mention %s", want)
				}
			}
			if strings.Contains(is.Description, "@Alice") {
				t.Errorf("@Alice is @alice: GitLab paths ignore case, mention once")
			}
			if len(is.Labels) != 1 || is.Labels[0] != alert.DefaultLabel {
				t.Errorf("labels %v, want [%s]", is.Labels, alert.DefaultLabel)
			}
		}
		if s.wantAction == "closed" {
			note := fake.IssueNotes(1)[0].Body
			if !strings.Contains(note, "Green again in [pipeline #104]") {
				t.Errorf("closing note %q", note)
			}
		}
	}
}

// TestLaterRuns: an open issue is rewritten on later runs and noted when
// what fails changes; two nights without the cluster open one issue that
// reports the outage apart from product failures.
func TestLaterRuns(t *testing.T) {
	fake := gitlabtest.New(t)
	p := newProgram(t)
	runner := map[string]results.Status{"gke/1.36/runner": results.Failed}
	p.night(1, runner)
	p.night(2, runner)
	p.mustPublish(fake)
	p.night(3, runner) // a third red night: rewritten, nothing new to note
	out := p.mustPublish(fake)
	if out.Count("updated") != 1 || out.Count("noted") != 0 {
		t.Errorf("third red night: %+v, want one update and no note", out.Actions)
	}
	if d := fake.Issues()[0].Description; !strings.Contains(d, "| Runner Kubernetes executor (`runner`) | 3 |") {
		t.Errorf("the rewritten description does not count 3 runs:\n%s", d)
	}
	p.night(4, map[string]results.Status{"gke/1.36/runner": results.Failed, "gke/1.36/deploy": results.Failed})
	out = p.mustPublish(fake)
	notes := fake.IssueNotes(1)
	if out.Count("noted") != 1 || len(notes) != 1 || !strings.Contains(notes[0].Body, "now failing: `deploy`") {
		t.Errorf("a new failing feature: %+v, notes %+v", out.Actions, notes)
	}

	outage := map[string]results.Status{"kind/1.35": results.Broken}
	p.night(5, outage)
	p.night(6, outage)
	p.mustPublish(fake)
	var kind *gitlabtest.Issue
	for _, is := range fake.Issues() {
		if strings.HasPrefix(is.Description, "<!-- supportmatrix:alert kind/1.35 -->") {
			kind = &is
		}
	}
	if kind == nil {
		t.Fatalf("two nights without the kind 1.35 cluster opened no issue: %+v", fake.Issues())
	}
	golden.Assert(t, "outage.golden", []byte(kind.Description))
	if strings.Contains(kind.Description, "### Product failures") {
		t.Errorf("a cluster outage is reported as a product failure")
	}
	p.night(7, nil)
	p.mustPublish(fake)
	if n := len(openIssues(fake)); n != 0 {
		t.Errorf("%d issues open after a green night, want 0", n)
	}
}

// TestStale: a qualifying cell without a counting run for alert_stale gets
// an issue; a run closes it.
func TestStale(t *testing.T) {
	fake := gitlabtest.New(t)
	p := newProgram(t)
	p.night(1, nil)
	p.now = base.Add(5 * 24 * time.Hour) // 3d 22h later; alert_stale is 3d
	out := p.mustPublish(fake)
	if out.Count("opened") != 2 { // gke 1.35 and 1.36; kind is community: no stale alert
		t.Fatalf("no run for 3 days: %+v, want the two gke issues", out.Actions)
	}
	if d := openIssues(fake)[0].Description; !strings.Contains(d, "### No recent run") || !strings.Contains(d, "`policy.official.alert_stale` is 3d") {
		t.Errorf("stale description:\n%s", d)
	}
	p.night(6, nil)
	if out := p.mustPublish(fake); out.Count("closed") != 2 {
		t.Errorf("a fresh run: %+v, want both closed", out.Actions)
	}
}

// TestCreateRetried: the create reached GitLab but its answer was lost
// (502): the publish fails (exit 3), and its retry finds the issue by its
// marker instead of opening a second.
func TestCreateRetried(t *testing.T) {
	fake := gitlabtest.New(t)
	p := newProgram(t)
	red := map[string]results.Status{"gke/1.35/runner": results.Failed}
	p.night(1, red)
	p.night(2, red)
	fake.Inject(gitlabtest.Fault{Method: http.MethodPost, Path: "/issues", Status: http.StatusBadGateway, AfterApply: true, Times: 1})
	if _, err := p.publish(fake); !errors.Is(err, gitlab.ErrUnavailable) {
		t.Fatalf("publish after a lost answer: %v, want the API unavailable", err)
	}
	out := p.mustPublish(fake)
	if len(fake.Issues()) != 1 || len(out.Actions) != 0 {
		t.Errorf("the retry: %d issues, actions %+v; want the one issue, untouched", len(fake.Issues()), out.Actions)
	}
}

// TestConcurrentPublishes: two publishes list the issues before either
// opens one (the fake holds both lists until both arrived), so both open
// one; both list again, and the younger is closed as a duplicate of the
// older. Whatever the interleaving, one issue stays open.
func TestConcurrentPublishes(t *testing.T) {
	for round := 0; round < 3; round++ {
		fake := gitlabtest.New(t)
		p := newProgram(t)
		red := map[string]results.Status{"gke/1.35/runner": results.Failed}
		p.night(1, red)
		p.night(2, red)
		alerts := p.alerts()
		fake.Barrier(http.MethodGet, "/issues", 2)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		outs := make([]*alert.Outcome, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[i], errs[i] = alert.Sync(context.Background(), client(t, fake), alerts, alert.Options{Now: p.now})
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		open := openIssues(fake)
		if len(fake.Issues()) != 2 || len(open) != 1 || open[0].IID != 1 {
			var log []string
			for _, r := range fake.Log() {
				log = append(log, r.Method+" "+r.Path+"?"+r.Query+fmt.Sprintf(" %d", r.Status))
			}
			t.Fatalf("round %d: %d issues, %d open; want #1 open and #2 closed as its duplicate; outcomes %+v %+v; requests:\n%s", round, len(fake.Issues()), len(open), outs[0], outs[1], strings.Join(log, "\n"))
		}
		// Only the publish that opened #2 closes it: one note.
		notes := fake.IssueNotes(2)
		if len(notes) != 1 || !strings.Contains(notes[0].Body, "duplicate of #1") {
			t.Errorf("round %d: the duplicate's notes: %+v", round, notes)
		}
		// A later publish sees one open issue and leaves it alone.
		if out := p.mustPublish(fake); len(out.Actions) != 0 {
			t.Errorf("round %d: the next publish did %+v", round, out.Actions)
		}
	}
}

// TestLeftoverDuplicate: two open issues for one cell (a publish died
// between its create and its second list) are one again after the next
// publish, which keeps the oldest.
func TestLeftoverDuplicate(t *testing.T) {
	fake := gitlabtest.New(t)
	p := newProgram(t)
	red := map[string]results.Status{"gke/1.35/runner": results.Failed}
	p.night(1, red)
	p.night(2, red)
	p.mustPublish(fake)
	fake.AddIssue(gitlabtest.Issue{Title: "dup", Description: fake.Issues()[0].Description, Labels: []string{alert.DefaultLabel}})
	out := p.mustPublish(fake)
	if out.Count("closed as a duplicate") != 1 || len(openIssues(fake)) != 1 || openIssues(fake)[0].IID != 1 {
		t.Errorf("actions %+v, open %+v; want #2 closed as a duplicate of #1", out.Actions, openIssues(fake))
	}
}

// TestQuietNightCost: a night with nothing to say costs two requests, the
// label and one page of open issues, however many cells the matrix has.
func TestQuietNightCost(t *testing.T) {
	fake := gitlabtest.New(t)
	p := newProgram(t)
	p.night(1, nil)
	p.mustPublish(fake) // makes the label
	before := fake.Requests()
	p.night(2, nil)
	p.mustPublish(fake)
	if n := fake.Requests() - before; n != 2 {
		t.Errorf("a quiet night took %d requests, want 2: %+v", n, fake.Log()[before:])
	}
}

// TestCellLeavesMatrix: an open issue whose cell the matrix no longer has
// is closed with a note.
func TestCellLeavesMatrix(t *testing.T) {
	fake := gitlabtest.New(t)
	fake.AddLabel(gitlabtest.Label{Name: alert.DefaultLabel, Color: "#fff"})
	fake.AddIssue(gitlabtest.Issue{Title: "old", Description: alert.Marker("alert", "eks/1.30") + "\nbody", Labels: []string{alert.DefaultLabel}})
	fake.AddIssue(gitlabtest.Issue{Title: "someone's", Description: "no marker", Labels: []string{alert.DefaultLabel}})
	p := newProgram(t)
	p.night(1, nil)
	out := p.mustPublish(fake)
	if out.Count("closed") != 1 || fake.Issues()[0].State != "closed" || fake.Issues()[1].State != "opened" {
		t.Errorf("actions %+v, issues %+v: want eks/1.30 closed and the unmarked issue left alone", out.Actions, fake.Issues())
	}
}

// TestGuestToken: a token whose role may not create the label fails before
// any issue is opened, rather than opening issues GitLab strips of their
// label (which could never be found again).
func TestGuestToken(t *testing.T) {
	fake := gitlabtest.New(t)
	fake.SetRole(gitlabtest.RoleGuest)
	p := newProgram(t)
	red := map[string]results.Status{"gke/1.35/runner": results.Failed}
	p.night(1, red)
	p.night(2, red)
	if _, err := p.publish(fake); !errors.Is(err, gitlab.ErrForbidden) {
		t.Errorf("publish as a guest: %v, want 403", err)
	}
	if n := len(fake.Issues()); n != 0 {
		t.Errorf("%d issues opened by a token that may not label them", n)
	}
}

// TestDigest: the digest lives in one issue, updated in place.
func TestDigest(t *testing.T) {
	fake := gitlabtest.New(t)
	ctx := context.Background()
	c := client(t, fake)
	for i, body := range []string{"# Digest\n\nweek 1\n", "# Digest\n\nweek 1\n", "# Digest\n\nweek 2\n"} {
		out, err := alert.Digest(ctx, c, body, alert.Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := []int{1, 0, 1}[i]
		if len(out.Actions) != want {
			t.Errorf("digest %d: actions %+v, want %d", i, out.Actions, want)
		}
	}
	issues := fake.Issues()
	if len(issues) != 1 || issues[0].Title != alert.DigestTitle || !strings.HasSuffix(issues[0].Description, "week 2\n") {
		t.Errorf("issues %+v, want one digest issue with week 2", issues)
	}
	huge := strings.Repeat("x", gitlab.MaxIssueDescription)
	if _, err := alert.Digest(ctx, c, huge, alert.Options{}); err == nil || !strings.Contains(err.Error(), "more than the 1048576") {
		t.Errorf("an oversized digest: %v", err)
	}
}
