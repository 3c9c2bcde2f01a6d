package generate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	yaml2 "go.yaml.in/yaml/v2"
	"go.yaml.in/yaml/v3"
)

// readsBackUnderYAML11 checks that every string of a generated file reads
// back as the same string under YAML 1.1, GitLab's YAML (Ruby Psych,
// lib/gitlab/config/loader/yaml.rb): each plain scalar that yaml.v3 reads as
// a string is read again, alone, with yaml.v2, an independent YAML 1.1
// reader (yaml.org/type/bool, int, float, null, merge). The encoder's own
// rule (internal/yaml11) is not used here, so this test can catch it.
func readsBackUnderYAML11(t *testing.T, name string, data []byte) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	// A value read once needs no second reading: files repeat their
	// keywords, stages and ids thousands of times. Each value is still
	// reported at its first line.
	read := map[string]bool{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && n.Style == 0 && !strings.Contains(n.Value, "\n") && !read[n.Value] {
			read[n.Value] = true
			var v any
			if err := yaml2.Unmarshal([]byte(n.Value), &v); err != nil {
				t.Errorf("%s:%d:%d: plain %q does not parse alone under YAML 1.1: %v", name, n.Line, n.Column, n.Value, err)
			} else if s, ok := v.(string); !ok || s != n.Value {
				t.Errorf("%s:%d:%d: plain %q reads as %T %v under YAML 1.1, not as the string", name, n.Line, n.Column, n.Value, v, v)
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
}

// TestYAML11Strings generates a matrix whose ids, tags and variables YAML
// 1.1 reads as booleans, numbers or null when plain (on, yes, y, 0x1F,
// 1:30, ~, ...), and every example: each string reaches GitLab as written.
func TestYAML11Strings(t *testing.T) {
	t.Parallel()
	plan := load(t, filepath.Join("testdata", "yaml11.yaml"))
	out, err := Generate(plan, openTemplates(t, ""), Options{ArtifactDir: "out"})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	for _, f := range out.Files {
		if strings.HasSuffix(f.Name, ".yml") {
			readsBackUnderYAML11(t, "yaml11/"+f.Name, f.Data)
		}
	}
	var doc map[string]any
	if err := yaml2.Unmarshal(out.Files[0].Data, &doc); err != nil {
		t.Fatal(err)
	}
	job, ok := doc["on 1.35: yes"].(map[any]any)
	if !ok {
		t.Fatalf("no job for the cell on/1.35/yes under YAML 1.1: %v", keys(doc))
	}
	vars := job["variables"].(map[any]any)
	for k, want := range map[string]string{"SM_FEATURE": "yes", "SM_DISTRIBUTION": "on", "y": "n", "OFF": "0x1F", "NUL": "~", "SIXTY": "190:20:30"} {
		if got := vars[k]; got != want {
			t.Errorf("variable %s reads as %T %v under YAML 1.1, want the string %q", k, got, got, want)
		}
	}
	goldens, _ := filepath.Glob(filepath.Join("testdata", "*", "*.yml.golden"))
	if len(goldens) == 0 {
		t.Fatal("no golden pipelines found")
	}
	for _, g := range goldens {
		data, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		readsBackUnderYAML11(t, g, data)
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
