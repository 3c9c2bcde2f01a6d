package collect

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci/localcitest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

func TestParseJUnit(t *testing.T) {
	tests := []struct {
		name, xml string
		want      []string // status:classname:name
		version   string
		err       string
	}{
		{"nested suites", `<testsuites><testsuite name="a"><testsuite name="b">
			<testcase classname="c" name="ok"/>
			<testcase classname="c" name="bad"><failure message="boom">trace</failure></testcase>
			<testcase classname="c" name="err"><error/></testcase>
			<testcase classname="c" name="skip"><skipped/></testcase>
			<testcase classname="supportmatrix" name="server version"><system-out>
			  v1.35.2+k3s1
			</system-out></testcase>
			</testsuite></testsuite></testsuites>`,
			[]string{"success:c:ok", "failed:c:bad", "error:c:err", "skipped:c:skip", "success:supportmatrix:server version"},
			"v1.35.2+k3s1", ""},
		{"single suite", `<testsuite><testcase classname="x" name="y"/></testsuite>`, []string{"success:x:y"}, "", ""},
		{"not junit", `<html/>`, nil, "", "root element <html>"},
		{"broken", `<testsuite>`, nil, "", "junit broken.xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cases, err := ParseJUnit(strings.ReplaceAll(tt.name, " ", "")+".xml", []byte(tt.xml))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range cases {
				got = append(got, string(c.Status)+":"+c.Classname+":"+c.Name)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("cases %v, want %v", got, tt.want)
			}
			if v := tally(cases).serverVersion; v != tt.version {
				t.Fatalf("server version %q, want %q", v, tt.version)
			}
		})
	}
}

func writeJUnit(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLocal(t *testing.T) {
	dir := t.TempDir()
	deployXML := writeJUnit(t, dir, "deploy.xml", `<testsuite>
		<testcase classname="supportmatrix" name="server version"><system-out>v1.36.1</system-out></testcase>
		<testcase classname="deploy" name="install"/><testcase classname="deploy" name="upgrade"><failure/></testcase></testsuite>`)
	const child = "supportmatrix"
	res := &localci.Result{Jobs: []localci.JobResult{
		{Name: "generate", Pipeline: ".gitlab-ci.yml", Status: localci.Success},
		{Name: child, Pipeline: ".gitlab-ci.yml", Trigger: true, Status: localci.Failed},
		{Name: "kind 1.36: [prepare]", Pipeline: "pipeline.yml", Triggerers: child, Status: localci.Success},
		{Name: "kind 1.36: [deploy]", Pipeline: "pipeline.yml", Triggerers: child, Status: localci.Failed,
			Duration: 90 * time.Second, JUnitFiles: []string{deployXML}},
		{Name: "kind 1.36: [runner]", Pipeline: "pipeline.yml", Triggerers: child, Status: localci.Skipped},
		{Name: "kind 1.36: [terminal]", Pipeline: "pipeline.yml", Triggerers: child, Status: localci.Manual},
		{Name: "shard 1/1", Pipeline: "pipeline.yml", Triggerers: child, Trigger: true, Status: localci.Success},
		{Name: "kind 1.35: [deploy]", Pipeline: "shard-1.yml", Triggerers: child + " -> shard 1/1", Status: localci.Success},
		{Name: "kind 1.35: [runner]", Pipeline: "shard-1.yml", Triggerers: child + " -> shard 1/1", Status: localci.AllowedFailure},
		{Name: "kind 1.35: [terminal]", Pipeline: "shard-1.yml", Triggerers: child + " -> shard 1/1", Status: localci.Canceled},
	}}
	m := &Manifest{Schema: ManifestSchema, Jobs: []ManifestJob{
		{Name: "shard 1/1", File: "pipeline.yml", Kind: KindTrigger, Target: "shard-1.yml"},
		{Name: "kind 1.36: [prepare]", File: "pipeline.yml", Kind: KindPrepare},
		{Name: "kind 1.36: [deploy]", File: "pipeline.yml", Kind: KindTest, Cell: "kind/1.36/deploy"},
		{Name: "kind 1.36: [runner]", File: "pipeline.yml", Kind: KindTest, Cell: "kind/1.36/runner"},
		{Name: "kind 1.36: [terminal]", File: "pipeline.yml", Kind: KindTest, Cell: "kind/1.36/terminal", Action: "manual"},
		{Name: "kind 1.35: [deploy]", File: "shard-1.yml", Kind: KindTest, Cell: "kind/1.35/deploy"},
		{Name: "kind 1.35: [runner]", File: "shard-1.yml", Kind: KindTest, Cell: "kind/1.35/runner", Action: "allow_failure"},
		{Name: "kind 1.35: [terminal]", File: "shard-1.yml", Kind: KindTest, Cell: "kind/1.35/terminal"},
		{Name: "kind 1.35->1.36: [upgrade]", File: "shard-1.yml", Kind: KindUpgrade, Cell: "kind/1.35->1.36"},
	}}
	when := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

	// Saved and loaded again, as `collect --local-dir` does.
	if err := SaveLocal(dir, res); err != nil {
		t.Fatal(err)
	}
	loaded, _, err := LoadLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	run, _, err := Local(loaded, LocalOptions{Manifest: m, Time: when})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]results.Status{
		"kind/1.36/deploy":   results.Failed,
		"kind/1.36/runner":   results.Skipped,
		"kind/1.36/terminal": results.NotRun,
		"kind/1.35/deploy":   results.Passed,
		"kind/1.35/runner":   results.AllowedFailure,
		"kind/1.35/terminal": results.Canceled,
		"kind/1.35->1.36":    results.NotRun,
	}
	for _, c := range run.Cells {
		if want[c.Cell] != c.Status {
			t.Errorf("%s: %s, want %s", c.Cell, c.Status, want[c.Cell])
		}
	}
	if len(run.Cells) != len(want) {
		t.Errorf("%d cells, want %d", len(run.Cells), len(want))
	}
	d := run.Cell("kind/1.36/deploy")
	if d.ServerVersion != "v1.36.1" || d.Tests == nil || d.Tests.Total != 2 || d.Tests.Failed != 1 || d.Duration != 90 {
		t.Errorf("deploy cell %+v, want v1.36.1, 2 tests with 1 failure, 90s", d)
	}
	if !run.Local || run.Counts || run.Pipeline != 1 || run.Source != "local" || !run.FinishedAt.Equal(when) {
		t.Errorf("run metadata %+v", run)
	}

	if _, _, err := LoadLocal(t.TempDir()); err == nil || !strings.Contains(err.Error(), "run --local") {
		t.Errorf("loading from a directory without a run: %v", err)
	}
}

// TestParseGeneratedManifests reads the manifests generate's golden files
// hold, so that the two packages cannot drift apart unnoticed.
func TestParseGeneratedManifests(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "generate", "testdata", "*", "manifest.json.golden"))
	if len(files) == 0 {
		t.Skip("no generated manifests in ../generate/testdata")
	}
	for _, f := range files {
		m, err := ReadManifest(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		cells := 0
		for _, j := range m.Jobs {
			if j.IsCellJob() {
				cells++
			}
		}
		if cells == 0 {
			t.Errorf("%s: no cell jobs", f)
		}
	}
}

// TestLocalWithGitLabCILocal runs testdata/local/pipeline.yml with the real
// gitlab-ci-local and collects it through SaveLocal and LoadLocal, as `run
// --local` and `collect --local-dir` do.
func TestLocalWithGitLabCILocal(t *testing.T) {
	bin := localcitest.Binary(t)
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "local", "pipeline.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pipeline.yml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res, err := localci.Run(context.Background(), localci.Options{Binary: bin, Env: localcitest.Env(), Dir: dir, File: "pipeline.yml", Concurrency: 2, Output: &out})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if err := SaveLocal(dir, res); err != nil {
		t.Fatal(err)
	}
	loaded, _, err := LoadLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := &Manifest{Schema: ManifestSchema}
	m.Jobs = append(m.Jobs, ManifestJob{Name: "sim 1.36: [provision cluster]", File: "pipeline.yml", Kind: KindPrepare, Cell: "sim/1.36"})
	for _, f := range []string{"deploy", "runner", "terminal", "pod-logs", "monitoring"} {
		m.Jobs = append(m.Jobs, ManifestJob{Name: "sim 1.36: [" + f + "]", File: "pipeline.yml", Kind: KindTest, Cell: "sim/1.36/" + f, Feature: f})
	}
	m.Jobs = append(m.Jobs, ManifestJob{Name: "sim 1.36: [teardown cluster]", File: "pipeline.yml", Kind: KindCleanup, Cell: "sim/1.36"})
	run, _, err := Local(loaded, LocalOptions{Manifest: m, Time: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]results.Status{
		"sim/1.36/deploy":     results.Passed,
		"sim/1.36/runner":     results.Failed,
		"sim/1.36/terminal":   results.AllowedFailure,
		"sim/1.36/pod-logs":   results.Skipped,
		"sim/1.36/monitoring": results.NotRun,
	}
	for _, c := range run.Cells {
		if want[c.Cell] != c.Status {
			t.Errorf("%s: %s, want %s", c.Cell, c.Status, want[c.Cell])
		}
	}
	if len(run.Cells) != len(want) {
		t.Errorf("%d cells, want %d", len(run.Cells), len(want))
	}
	d := run.Cell("sim/1.36/deploy")
	if d == nil || d.ServerVersion != "v1.36.3" || d.Tests == nil || d.Tests.Total != 2 || d.Tests.Passed != 2 {
		t.Errorf("deploy cell %+v, want server version v1.36.3 and 2 passed tests", d)
	}
}
