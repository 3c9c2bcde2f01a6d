package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The render tests use the renderers' fixture: a matrix, its results and a
// repository holding one docs page.
var (
	renderMatrix  = filepath.Join("..", "render", "testdata", "matrix.yaml")
	renderResults = filepath.Join("..", "render", "testdata", "results.json")
	renderRoot    = filepath.Join("..", "render", "testdata", "repo")
)

// renderRun runs `supportmatrix render` in-process on the fixture with the
// extra args and returns the exit code and both streams.
func renderRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	base := []string{"render", "--matrix", renderMatrix, "--results", renderResults, "--root", renderRoot}
	return runCLI(t, append(base, args...)...)
}

// levels decodes a JSON table into "dist/minor" → level.
func levels(t *testing.T, data string) map[string]string {
	t.Helper()
	var doc struct {
		Schema        string `json:"schema"`
		Distributions []struct {
			ID       string `json:"id"`
			Versions []struct {
				Kubernetes string `json:"kubernetes"`
				Level      string `json:"level"`
			} `json:"versions"`
		} `json:"distributions"`
	}
	if err := json.Unmarshal([]byte(data), &doc); err != nil {
		t.Fatalf("render --format json: %v\n%s", err, data)
	}
	if doc.Schema != "supportmatrix/support/v1" {
		t.Errorf("schema %q", doc.Schema)
	}
	out := map[string]string{}
	for _, d := range doc.Distributions {
		for _, v := range d.Versions {
			out[d.ID+"/"+v.Kubernetes] = v.Level
		}
	}
	return out
}

func TestRenderFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		format string
		has    []string
	}{
		{"markdown", []string{"# Support matrix", "| [Google Kubernetes Engine](#google-kubernetes-engine) | official | [✅ supported](https://", "**allowed to fail**"}},
		{"json", []string{`"schema": "supportmatrix/support/v1"`, `"level": "qualifying"`}},
		{"html", []string{"<!DOCTYPE html>", `<td class="lv-failing"`}},
		{"digest", []string{"# Support digest, 2026-05-02", "- `eks/1.34`: no counting run for 15d, since 2026-04-17", "## Level changes since 2026-04-25 06:40 UTC", "`eks/1.35/runner` | **33%** ⚠️", "## The calendar before 2026-07-01"}},
		{"openmetrics", []string{"# TYPE supportmatrix_level_status gauge", `supportmatrix_cell_flake_ratio{distribution="eks",kubernetes="1.35",feature="runner"} 0.3333333333333333`, "\n# EOF\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			code, stdout, stderr := renderRun(t, "--format", tc.format)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, s := range tc.has {
				if !strings.Contains(stdout, s) {
					t.Errorf("output lacks %q", s)
				}
			}
			// --out writes the same bytes, and a second render changes nothing.
			out := filepath.Join(t.TempDir(), "table")
			for i := 0; i < 2; i++ {
				if code, _, stderr := renderRun(t, "--format", tc.format, "--out", out); code != ExitOK {
					t.Fatalf("--out: exit %d: %s", code, stderr)
				}
				got, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, []byte(stdout)) {
					t.Errorf("run %d: --out differs from standard output", i+1)
				}
			}
		})
	}
}

func TestRenderNow(t *testing.T) {
	t.Parallel()
	_, stdout, _ := renderRun(t, "--format", "json")
	if got := levels(t, stdout)["gke/1.35"]; got != "supported" {
		t.Fatalf("gke/1.35 = %s at the newest result, want supported", got)
	}
	// Eight days after the newest result of pipeline #104 (2026-05-01
	// 06:40) is still fresh; one second later is stale.
	_, stdout, _ = renderRun(t, "--format", "json", "--now", "2026-05-09T06:40:00Z")
	if got := levels(t, stdout)["gke/1.35"]; got != "supported" {
		t.Errorf("gke/1.35 = %s at max_age, want supported", got)
	}
	_, stdout, _ = renderRun(t, "--format", "json", "--now", "2026-05-09T06:40:01Z")
	if got := levels(t, stdout)["gke/1.35"]; got != "stale" {
		t.Errorf("gke/1.35 = %s past max_age, want stale", got)
	}
}

func TestRenderFailuresKeepTheTable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	broken := filepath.Join(dir, "results.json")
	if err := os.WriteFile(broken, []byte(`{"schema": "supportmatrix/results/v1", "runs": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"unknown format", []string{"--format", "pdf"}, ExitUsage, `--format "pdf"`},
		{"bad --now", []string{"--now", "yesterday"}, ExitUsage, "RFC3339"},
		{"unreadable results", []string{"--results", broken}, ExitInvalid, "results " + broken},
		{"missing matrix", []string{"--matrix", filepath.Join(dir, "nope.yaml")}, ExitInvalid, "nope.yaml"},
		{"badges without --out", []string{"--format", "badges", "--out", ""}, ExitUsage, "--out DIR"},
		{"bad --since", []string{"--format", "digest", "--since", "last monday"}, ExitUsage, "--since"},
		{"--since without the digest", []string{"--since", "2026-05-01T00:00:00Z"}, ExitUsage, "for --format digest"},
		{"a --levels-log that does not exist", []string{"--format", "digest", "--levels-log", filepath.Join(dir, "levels.log")}, ExitInvalid, "levels.log"},
		{"an unreadable level log", []string{"--format", "digest", "--levels-log", broken}, ExitInvalid, "level log " + broken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			table := filepath.Join(t.TempDir(), "SUPPORT.md")
			const old = "the published table\n"
			if err := os.WriteFile(table, []byte(old), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"--out", table}, tc.args...)
			code, _, stderr := renderRun(t, args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q lacks %q", stderr, tc.stderr)
			}
			if got, _ := os.ReadFile(table); string(got) != old {
				t.Errorf("the existing table changed to %q", got)
			}
		})
	}
}

func TestRenderBadges(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "badges")
	if code, _, stderr := renderRun(t, "--format", "badges", "--out", dir); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := map[string]string{
		"gke.svg":       "gke: supported 1.34–1.36",
		"eks.svg":       "eks: qualifying 1.35",
		"openshift.svg": "openshift: beta 1.35",
		"kind.svg":      "kind: community 1.35",
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("%d files in %s, want %d", len(entries), dir, len(want))
	}
	for name, title := range want {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		var svg struct {
			Title string `xml:"title"`
		}
		if err := xml.Unmarshal(data, &svg); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if svg.Title != title {
			t.Errorf("%s: title %q, want %q", name, svg.Title, title)
		}
	}
}

// TestRenderResultsMissing: a mistyped --results is an error, never an
// all-untested table; the default path before the first collect is an
// empty history, with a note.
func TestRenderResultsMissing(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "resluts.json")
	code, out, errOut := runCLI(t, "render", "--matrix", renderMatrix, "--root", renderRoot, "--results", missing)
	if code != ExitInvalid || !strings.Contains(errOut, "no such file") || out != "" {
		t.Errorf("mistyped --results: exit %d: %s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "render", "--matrix", renderMatrix, "--root", renderRoot)
	if code != ExitOK || !strings.Contains(errOut, "does not exist yet") || !strings.Contains(out, "No counting run") {
		t.Errorf("default --results before the first collect: exit %d: %s%s", code, out, errOut)
	}
}

// TestRenderJudgedInCI: in a pipeline created ten days after the last run,
// the table is judged at the pipeline's time and decays to stale.
func TestRenderJudgedInCI(t *testing.T) {
	t.Parallel()
	base := []string{"render", "--matrix", renderMatrix, "--results", renderResults, "--root", renderRoot, "--format", "json"}
	_, fresh, _ := runCLI(t, base...)
	code, later, errOut := runIn(t, map[string]string{"CI_PIPELINE_CREATED_AT": "2026-05-12T06:40:00Z"}, base...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := levels(t, fresh)["gke/1.35"]; got != "supported" {
		t.Errorf("judged at the newest result: gke/1.35 %s, want supported", got)
	}
	if got := levels(t, later)["gke/1.35"]; got != "stale" {
		t.Errorf("judged ten days later: gke/1.35 %s, want stale", got)
	}
	if !strings.Contains(later, `"measured_at": "2026-05-12T06:40:00Z"`) {
		t.Errorf("the JSON table does not say when it was judged:\n%s", later)
	}
}

// TestRenderOutIsNotAnInput: `render --out` naming the history or the
// matrix (directly, through a symlink, or as the PROGRAM.md written beside
// a markdown table) is refused and the input stays as it was (issue 13
// item 10).
func TestRenderOutIsNotAnInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hist, err := os.ReadFile(renderResults)
	if err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(dir, "results.json")
	if err := os.WriteFile(results, hist, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(results, filepath.Join(dir, "alias.json")); err != nil {
		t.Fatal(err)
	}
	program := filepath.Join(dir, "PROGRAM.md")
	if err := os.WriteFile(program, hist, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, out, results, format string
	}{
		{"the history", results, results, "markdown"},
		{"the history as json", results, results, "json"},
		{"the history through a symlink", filepath.Join(dir, "alias.json"), results, "html"},
		{"the history beside it as PROGRAM.md", filepath.Join(dir, "SUPPORT.md"), program, "markdown"},
		{"the matrix", renderMatrix, results, "json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := os.ReadFile(tc.out)
			code, _, stderr := runCLI(t, "render", "--matrix", renderMatrix, "--root", renderRoot,
				"--results", tc.results, "--format", tc.format, "--out", tc.out)
			if code != ExitUsage || !strings.Contains(stderr, "would overwrite") {
				t.Errorf("exit %d, stderr %q: want a usage error naming the input", code, stderr)
			}
			if after, _ := os.ReadFile(tc.out); !bytes.Equal(before, after) {
				t.Errorf("%s changed", tc.out)
			}
		})
	}
}

// TestRenderDigestReadsTheLevelLog: the digest lists the level log beside
// --results (or --levels-log) after --since, and the changes the log does
// not hold yet.
func TestRenderDigestReadsTheLevelLog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data, err := os.ReadFile(renderResults)
	if err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(dir, "results.json")
	if err := os.WriteFile(results, data, 0o644); err != nil {
		t.Fatal(err)
	}
	log := `{"cell":"gke/1.35","from":"","to":"qualifying","at":"2026-04-17T06:40:00Z","pipeline":101,"reason":"1 of 2 green runs"}
{"cell":"gke/1.35","from":"qualifying","to":"supported","at":"2026-04-26T06:40:00Z","pipeline":102,"url":"https://gitlab.example/product/-/pipelines/102","reason":"every blocking feature passed"}
`
	if err := os.WriteFile(filepath.Join(dir, "levels.log"), []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		base := []string{"render", "--matrix", renderMatrix, "--results", results, "--root", renderRoot, "--format", "digest", "--now", "2026-05-02T07:00:00Z"}
		code, stdout, stderr := runCLI(t, append(base, args...)...)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		return stdout
	}
	week := run()
	if !strings.Contains(week, "`gke/1.35` | ⏳ qualifying → ✅ supported | 2026-04-26 06:40 UTC | [pipeline #102](https://gitlab.example/product/-/pipelines/102)") {
		t.Errorf("the week's digest lacks the logged change of 2026-04-26:\n%s", week)
	}
	if strings.Contains(week, "2026-04-17 06:40 UTC | ") {
		t.Errorf("the week's digest lists a change from before --since's default")
	}
	// gke/1.34 and the others were never logged: they are pending.
	if !strings.Contains(week, "`eks/1.36` | ❌ failing | 2026-05-02 07:00 UTC | [pipeline #104]") || !strings.Contains(week, "not in the level log yet") {
		t.Errorf("the digest lacks the pending change of eks/1.36:\n%s", week)
	}
	if since := run("--since", "2026-04-27T00:00:00Z"); strings.Contains(since, "qualifying → ✅ supported") {
		t.Errorf("--since after the change still lists it")
	}
	if all := run("--since", "2026-04-01T00:00:00Z", "--levels-log", filepath.Join(dir, "levels.log")); !strings.Contains(all, "`gke/1.35` | ⏳ qualifying | 2026-04-17 06:40 UTC") {
		t.Errorf("--since before the first entry lacks it:\n%s", all)
	}
}
