package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/jobs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci/localcitest"
)

// defaultsWant are the templates the generator relies on.
var defaultsWant = []string{
	"clusters/connect.yml", "clusters/k3s-provision.yml", "clusters/k3s-teardown.yml",
	"clusters/kind-provision.yml", "clusters/kind-teardown.yml",
	"features/agent.yml", "features/auto-devops.yml", "features/deploy.yml", "features/monitoring.yml",
	"features/pod-logs.yml", "features/runner.yml", "features/terminal.yml",
	"upgrade.yml",
}

func TestDefaultsParse(t *testing.T) {
	t.Parallel()
	set, err := jobs.Open("")
	if err != nil {
		t.Fatal(err)
	}
	list, err := set.List()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(list, " ") != strings.Join(defaultsWant, " ") {
		t.Fatalf("List() = %v, want %v", list, defaultsWant)
	}
	for _, rel := range list {
		t.Run(rel, func(t *testing.T) {
			node, err := set.Parse(rel)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var job struct {
				BeforeScript []string       `yaml:"before_script"`
				Script       []string       `yaml:"script"`
				Artifacts    map[string]any `yaml:"artifacts"`
			}
			if err := node.Decode(&job); err != nil {
				t.Fatal(err)
			}
			// The JUnit helpers come from the library, never from a copy.
			data, _, _ := set.Read(rel)
			if bytes.Contains(data, []byte("junit_start()")) || bytes.Contains(data, []byte("junit_case()")) {
				t.Errorf("the template defines the library's functions: it keeps only its own steps")
			}
			// It reports its own JUnit file, whatever the job, and records the server version.
			name := strings.TrimSuffix(filepath.Base(rel), ".yml")
			for _, cut := range []string{"kind-", "k3s-"} {
				name = strings.TrimPrefix(name, cut)
			}
			report := "junit/" + name + ".xml"
			if got := fmt.Sprint(job.Artifacts["reports"]); !strings.Contains(got, "junit:"+report) {
				t.Errorf("artifacts:reports = %s, want junit %s", got, report)
			}
			if job.Artifacts["when"] != "always" {
				t.Errorf("artifacts:when = %v, want always", job.Artifacts["when"])
			}
			script := strings.Join(job.Script, "\n")
			if !strings.HasPrefix(script, "junit_start "+name+"\n") {
				t.Errorf("script does not start with junit_start %s", name)
			}
			if !strings.Contains(script, "record_server_version") && rel != "clusters/kind-teardown.yml" && rel != "clusters/k3s-teardown.yml" {
				t.Errorf("script does not record the server version")
			}
			// No matrix value is pasted into a script: cell values come from SM_* variables.
			for _, literal := range []string{"1.3", "gke", "eks", "aks", "openshift"} {
				if strings.Contains(script, literal) {
					t.Errorf("script contains the literal %q: read the SM_* variables instead", literal)
				}
			}
			if h := set.Hash(rel); len(h) != 64 {
				t.Errorf("Hash = %q", h)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       []string
	}{
		{"owned keys", "script: [echo]\nstage: test\nneeds: []\nwhen: manual\n",
			[]string{"x.yml:2:1: \"stage\" is set by the generator", "x.yml:3:1: \"needs\"", "x.yml:4:1: \"when\""}},
		{"every owned key", "script: [echo]\ntags: [a]\nresource_group: g\nrules: []\nretry: 1\ntimeout: 1h\ninterruptible: true\nallow_failure: true\ntrigger: x\nextends: .y\n",
			[]string{":2:1: \"tags\"", ":3:1: \"resource_group\"", ":4:1: \"rules\"", ":5:1: \"retry\"", ":6:1: \"timeout\"",
				":7:1: \"interruptible\"", ":8:1: \"allow_failure\"", ":9:1: \"trigger\"", ":10:1: \"extends\""}},
		{"unknown key", "script: [echo]\nscirpt: [x]\n", []string{"x.yml:2:1: \"scirpt\" is not a job keyword"}},
		{"duplicate key", "script: [echo]\nscript: [again]\n", []string{"x.yml:2:1: duplicate key \"script\""}},
		{"no script", "variables: {A: b}\n", []string{"x.yml:1:1: a template needs a script"}},
		{"not a mapping", "- script\n", []string{"x.yml:1:1: a template is a mapping"}},
		{"two documents", "script: [a]\n---\nscript: [b]\n", []string{"x.yml:2:1: a template is one YAML document"}},
		{"bad script", "script: {a: b}\n", []string{"x.yml:1:9: script must be a string or a list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jobs.Parse("x.yml", []byte(tt.body))
			var problems jobs.Problems
			if !errors.As(err, &problems) {
				t.Fatalf("Parse = %v, want Problems", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestOverride(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(rel, body string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("features/deploy.yml", "script: [echo overridden]\n")
	write("features/custom.yml", "script: [echo custom]\nstage: x\n")
	defaults := mustOpen(t, "")
	set := mustOpen(t, dir)

	data, source, err := set.Read("features/deploy.yml")
	if err != nil || string(data) != "script: [echo overridden]\n" || source != filepath.Join(dir, "features", "deploy.yml") {
		t.Errorf("Read(deploy) = %q, %q, %v: want the override", data, source, err)
	}
	if set.Hash("features/deploy.yml") == defaults.Hash("features/deploy.yml") {
		t.Errorf("an override must change the hash")
	}
	data, source, err = set.Read("features/runner.yml")
	if err != nil || source != "jobs/features/runner.yml" || !bytes.Contains(data, []byte("junit_start runner")) {
		t.Errorf("Read(runner) = %q, %v: want the default", source, err)
	}
	if _, err := set.Parse("features/custom.yml"); err == nil || !strings.HasPrefix(err.Error(), filepath.Join(dir, "features", "custom.yml")+":2:1:") {
		t.Errorf("Parse(custom) = %v, want a problem at the override's line 2", err)
	}
	if _, _, err := set.Read("features/nope.yml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read(missing) = %v, want ErrNotExist", err)
	}
	if _, _, err := set.Read("../etc/passwd"); err == nil {
		t.Errorf("Read(../etc/passwd) succeeded")
	}
	if set.Hash("features/nope.yml") != "" {
		t.Errorf("Hash of a missing template is not empty")
	}
	list, err := set.List()
	if err != nil || !strings.Contains(strings.Join(list, " "), "features/custom.yml") {
		t.Errorf("List() = %v, %v: want the override's new template", list, err)
	}
	if _, err := jobs.Open(filepath.Join(dir, "missing")); err == nil {
		t.Errorf("Open(missing dir) succeeded")
	}
}

func mustOpen(t *testing.T, dir string) *jobs.Set {
	t.Helper()
	set, err := jobs.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// requireTools returns gitlab-ci-local or skips (localcitest decides).
func requireTools(t *testing.T) string {
	t.Helper()
	return localcitest.Binary(t)
}

// jobsPipeline builds a pipeline with one job per template, the way the
// generator will: the template's body plus the keys the generator owns and
// the cell's SM_* variables.
func jobsPipeline(t *testing.T, set *jobs.Set, rels []string, extra func(rel string, job *yaml.Node)) []byte {
	t.Helper()
	root := &yaml.Node{Kind: yaml.MappingNode}
	str := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }
	root.Content = append(root.Content, str("stages"), &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{str("test")}})
	for _, rel := range rels {
		body, err := set.Parse(rel)
		if err != nil {
			t.Fatal(err)
		}
		job := &yaml.Node{Kind: yaml.MappingNode}
		job.Content = append(job.Content, str("stage"), str("test"))
		job.Content = append(job.Content, jobs.WithLibrary(body).Content...)
		if extra != nil {
			extra(rel, job)
		}
		root.Content = append(root.Content, str("kind 1.35: ["+strings.TrimSuffix(filepath.Base(rel), ".yml")+"]"), job)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDefaultsSchema validates every default template, as a job with the keys
// the generator adds, against GitLab's CI schema, without running it.
func TestDefaultsSchema(t *testing.T) {
	t.Parallel()
	bin := requireTools(t)
	set := mustOpen(t, "")
	dir := t.TempDir()
	pipeline := jobsPipeline(t, set, defaultsWant, func(rel string, job *yaml.Node) {
		var owned yaml.Node
		if err := yaml.Unmarshal([]byte("needs: []\ntags: [k8s-kind]\nresource_group: kind-1-35\ntimeout: 45m\ninterruptible: true\nretry: {max: 2, when: [runner_system_failure]}\n"), &owned); err != nil {
			t.Fatal(err)
		}
		job.Content = append(job.Content, owned.Content[0].Content...)
	})
	if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), pipeline, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := localci.Validate(context.Background(), bin, localcitest.Env(), dir); err != nil {
		t.Fatalf("GitLab's schema rejects a default template: %v", err)
	}
}

// TestSimulatedTemplatesRun runs the local example's simulated templates with
// gitlab-ci-local: a chain provision -> features -> upgrade -> teardown, with
// one feature failing through SIM_FAIL.
func TestSimulatedTemplatesRun(t *testing.T) {
	t.Parallel()
	bin := requireTools(t)
	set := mustOpen(t, "../examples/local/templates")
	dir := t.TempDir()
	pipeline := `stages: [prepare, test, upgrade, cleanup]
variables:
  SM_DISTRIBUTION: kind
  SM_K8S_VERSION: "1.35"
  SM_K8S_MINOR: "1-35"
  SIM_FAIL: "runner"
`
	type job struct{ name, rel, stage, needs, vars string }
	cases := []job{
		{"provision", "clusters/sim-provision.yml", "prepare", "[]", "SM_CELL: kind/1.35"},
		{"deploy", "features/sim-feature.yml", "test", "[provision]", "SM_FEATURE: deploy, SM_CELL: kind/1.35/deploy"},
		{"runner", "features/sim-feature.yml", "test", "[provision]", "SM_FEATURE: runner, SM_CELL: kind/1.35/runner"},
		{"upgrade", "upgrade.yml", "upgrade", "[deploy]", "SM_FROM_VERSION: \"1.35\", SM_TO_VERSION: \"1.36\", SM_CELL: kind/1.35->1.36"},
		{"teardown", "clusters/sim-teardown.yml", "cleanup", "[deploy, runner, upgrade]", "SM_CELL: kind/1.35"},
	}
	for _, j := range cases {
		body, err := set.Parse(j.rel)
		if err != nil {
			t.Fatal(err)
		}
		var parsed map[string]any
		if err := jobs.WithLibrary(body).Decode(&parsed); err != nil {
			t.Fatal(err)
		}
		parsed["stage"], parsed["when"] = j.stage, "always"
		var needs, vars any
		_ = yaml.Unmarshal([]byte(j.needs), &needs)
		_ = yaml.Unmarshal([]byte("{"+j.vars+"}"), &vars)
		parsed["needs"], parsed["variables"] = needs, vars
		out, err := yaml.Marshal(map[string]any{j.name: parsed})
		if err != nil {
			t.Fatal(err)
		}
		pipeline += string(out)
	}
	if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), []byte(pipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	var output bytes.Buffer
	res, err := localci.Run(context.Background(), localci.Options{Binary: bin, Dir: dir, Concurrency: 2, Env: localcitest.Env(), Output: &output})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, output.String())
	}
	wantStatus := map[string]localci.Status{"provision": localci.Success, "deploy": localci.Success,
		"runner": localci.Failed, "upgrade": localci.Success, "teardown": localci.Success}
	wantVersion := map[string]string{"provision": "v1.35.0", "deploy": "v1.35.0", "runner": "v1.35.0", "upgrade": "v1.36.0", "teardown": "v1.35.0"}
	for name, want := range wantStatus {
		j, ok := res.Job("", name)
		if !ok || j.Status != want {
			t.Errorf("%s: %s, want %s\n%s", name, j.Status, want, output.String())
			continue
		}
		if len(j.JUnitFiles) != 1 {
			t.Errorf("%s: JUnit files %v, want one", name, j.JUnitFiles)
			continue
		}
		report, err := os.ReadFile(j.JUnitFiles[0])
		if err != nil {
			t.Fatal(err)
		}
		want := "<testcase classname=\"supportmatrix\" name=\"server version " + wantVersion[name] + "\">\n    <system-out>" + wantVersion[name] + "</system-out>"
		if !bytes.Contains(report, []byte(want)) {
			t.Errorf("%s's report lacks %s:\n%s", name, want, report)
		}
		if name == "runner" && !bytes.Contains(report, []byte("<failure")) {
			t.Errorf("runner's report records no failure:\n%s", report)
		}
	}
	deploy, _ := res.Job("", "deploy")
	if log, err := os.ReadFile(deploy.LogFile); err != nil || !bytes.Contains(log, []byte("on sim-kind-1-35")) {
		t.Errorf("deploy did not get the provision job's KUBE_CONTEXT: %s %v", log, err)
	}
}
