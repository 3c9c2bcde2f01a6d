package render_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/program"
	"gitlab.com/supportmatrix/supportmatrix/pkg/publish"
	"gitlab.com/supportmatrix/supportmatrix/pkg/render"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// hostileMatrix carries, in every text a Markdown output shows, raw HTML,
// a table breaker and a link-and-image injection (issue 13, item 9).
const hostileMatrix = `schema: supportmatrix/v1
kubernetes:
  versions: ["1.35"]
distributions:
  evil:
    name: "Evil <img src=x onerror=alert(1)> | col"
    tier: official
    release_names: {"1.35": "4.22 | <b>x</b>"}
    cluster: {type: permanent, context: "a/b:evil-{minor}"}
    settings: ["setting ) ![pixel](https://evil.example/p.png) [x](javascript:alert(1))"]
    docs: "docs/x.md)![pixel](https://evil.example/d.png"
features:
  deploy:
    name: "Deploy\n| injected | row |"
  runner:
    name: "Runner ) ![pixel](https://evil.example/f.png)"
rules:
  - match: {feature: runner}
    action: allow_failure
    reason: "<script>alert(1)</script> | ) ![pixel](https://evil.example/r.png)"
    link: "javascript:alert(1)"
`

// TestMarkdownOutputsNeutraliseHostileValues renders SUPPORT.md, PROGRAM.md,
// the merge-request note and the plan from hostile matrix values and
// results (all through internal/markdown, the one escaper), and
// checks that none holds raw HTML from them, an image, a link to anything
// but http(s), or a table row with more cells than its header.
func TestMarkdownOutputsNeutraliseHostileValues(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "matrix", "matrix.yaml")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := matrix.Parse(file, []byte(hostileMatrix))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 1, 6, 40, 0, 0, time.UTC)
	run := results.Run{
		Pipeline: 7, URL: "https://gitlab.example/p/-/pipelines/7) ![pixel](https://evil.example/u.png)", Source: "schedule",
		Ref: "main<img src=x>", Counts: true, TestReport: true, CreatedAt: at, FinishedAt: at,
		Cells: []results.CellResult{
			{Cell: "evil/1.35/deploy", Kind: "test", Status: results.Passed, JobURL: "javascript:alert(1)"},
			{Cell: "evil/1.35/runner", Kind: "test", Status: results.Failed, JobURL: "https://gitlab.example/j/2", FailureReason: "script_failure | <img src=x>"},
		},
	}
	hist := results.New()
	hist.Runs = append(hist.Runs, run)
	rep, audit := docs.BuildReport(m, hist, dir, report.Options{Now: at})
	outputs := map[string]string{
		"SUPPORT.md": string(render.Markdown(rep)),
		"PROGRAM.md": string(docs.Program(audit, rep, docs.Options{})),
		"MR note":    publish.NoteBody("plan", &run),
		"plan":       string((&program.PlanResult{Plan: matrix.Expand(m)}).Markdown()),
		// The level log is a file in the repository: its entries are
		// as untrusted as the matrix.
		"digest": string(render.Digest(report.BuildDigest(rep, []report.LogEntry{{
			Cell: "evil/1.35` | <img src=x> |", From: report.Supported, To: report.Failing, At: at, Pipeline: 7,
			URL: "javascript:alert(1)", Reason: "<script>alert(1)</script> | ) ![pixel](https://evil.example/l.png)",
		}}, at.Add(-time.Hour), []report.DigestAlert{{Key: "evil/1.35", What: "`deploy` failed 2 or more counting runs in a row",
			Owners: []string{"@a` <img src=x> |"}, Since: rep.LastRun}}))),
	}
	rawHTML := regexp.MustCompile(`(?i)<(img|script|b)\b`)
	image := regexp.MustCompile(`!\[`)
	link := regexp.MustCompile(`(?:^|[^\\])\]\(([^)]*)\)`)
	codeSpan := regexp.MustCompile("`[^`\n]*`")
	for name, out := range outputs {
		checkTables(t, name, out)
		// What a code span holds is shown literally.
		out = codeSpan.ReplaceAllString(out, "code")
		if rawHTML.MatchString(out) {
			t.Errorf("%s holds raw HTML: %s", name, rawHTML.FindString(out))
		}
		if loc := image.FindStringIndex(out); loc != nil && out[max(loc[0]-1, 0)] != '\\' {
			t.Errorf("%s holds an image: …%s…", name, out[loc[0]:min(loc[1]+40, len(out))])
		}
		for _, l := range link.FindAllStringSubmatch(out, -1) {
			dest := l[1]
			if !strings.HasPrefix(dest, "https://gitlab.example/") && !strings.HasPrefix(dest, "#") && !strings.HasPrefix(dest, "../") &&
				dest != "matrix.yaml" && dest != "SUPPORT.md" {
				t.Errorf("%s links %q", name, dest)
			}
		}
	}
}

// checkTables fails when a table row has another number of cells than the
// table's header: a | or a newline got through.
func checkTables(t *testing.T, name, out string) {
	t.Helper()
	cells := func(row string) int {
		return len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(row, -1)) - 1
	}
	header := -1
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			header = -1
			continue
		}
		if header < 0 {
			header = cells(line)
			continue
		}
		if n := cells(line); n != header {
			t.Errorf("%s: row with %d cells under a %d-cell header: %s", name, n, header, line)
		}
	}
}
