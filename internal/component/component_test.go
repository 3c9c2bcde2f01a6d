package component

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const root = "../.."

func loadAll(t *testing.T) []*Component {
	t.Helper()
	cs, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// The project is a component project: a README.md at the top and its
// components, and nothing else, under templates/
// (doc/ci/components/_index.md, "Directory structure").
func TestLayout(t *testing.T) {
	cs := loadAll(t)
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, " "); got != "support-pages support-program" {
		t.Errorf("components %s, want support-pages support-program", got)
	}
	if _, err := os.Stat(filepath.Join(root, "README.md")); err != nil {
		t.Errorf("a component project needs README.md: %v", err)
	}
	// The job templates the generator embeds are not components.
	if _, err := os.Stat(filepath.Join(root, Dir, "features")); err == nil {
		t.Error("templates/features exists: job templates belong in jobs/, where the Catalog does not look")
	}
}

func TestLoadRefusesStrayFiles(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"templates/ok.yml":              "spec:\n  inputs:\n    a:\n      default: x\n---\njob:\n  script: [echo $[[ inputs.a ]]]\n",
		"templates/features/deploy.yml": "script: [echo]\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "templates/features/deploy.yml") {
		t.Fatalf("Load = %v, want templates/features/deploy.yml refused", err)
	}
}

// Every input is typed by GitLab's rules, described for the Catalog page,
// has a default (so one include with a few inputs is enough), and its
// default passes its own options and regex; every input is used, and the
// body uses no undeclared one.
func TestInputs(t *testing.T) {
	for _, c := range loadAll(t) {
		t.Run(c.Name, func(t *testing.T) {
			var declared []string
			for name, in := range c.Inputs {
				declared = append(declared, name)
				for _, k := range in.Keys {
					if !InputKeys[k] {
						t.Errorf("input %s: key %s is not one GitLab 17.0 knows", name, k)
					}
				}
				typ := in.Type
				if typ == "" {
					typ = "string"
				}
				if !InputTypes[typ] {
					t.Errorf("input %s: type %s", name, in.Type)
				}
				if strings.TrimSpace(in.Description) == "" {
					t.Errorf("input %s has no description", name)
				}
				if !in.HasDefault {
					t.Errorf("input %s has no default", name)
					continue
				}
				if got := typeOf(in.Default); got != typ {
					t.Errorf("input %s: default %v is a %s, declared %s", name, in.Default, got, typ)
				}
				if len(in.Options) > 0 && !containsValue(in.Options, in.Default) {
					t.Errorf("input %s: default %v is not among its options %v", name, in.Default, in.Options)
				}
				if in.Regex != "" && !regexp.MustCompile(in.Regex).MatchString(fmt.Sprint(in.Default)) {
					t.Errorf("input %s: default %v does not match its regex %s", name, in.Default, in.Regex)
				}
			}
			sort.Strings(declared)
			if used := c.Uses(); strings.Join(used, " ") != strings.Join(declared, " ") {
				t.Errorf("body uses inputs %v, header declares %v", used, declared)
			}
		})
	}
}

func typeOf(v any) string {
	switch v.(type) {
	case bool:
		return "boolean"
	case int, int64, float64:
		return "number"
	case []any:
		return "array"
	default:
		return "string"
	}
}

func containsValue(options []any, v any) bool {
	for _, o := range options {
		if fmt.Sprint(o) == fmt.Sprint(v) {
			return true
		}
	}
	return false
}

// globalKeywords are the keywords that configure the whole pipeline
// (doc/ci/yaml/_index.md, "Global keywords"); a component that sets one
// changes every job of the pipeline that includes it, which GitLab's docs
// advise against (doc/ci/components/_index.md, "Avoid using global keywords").
var globalKeywords = []string{"default", "include", "stages", "variables", "workflow", "image", "services", "cache", "before_script", "after_script"}

func TestNoGlobalKeywords(t *testing.T) {
	for _, c := range loadAll(t) {
		var body map[string]yaml.Node
		if err := yaml.Unmarshal(c.Body, &body); err != nil {
			t.Fatalf("%s: %v", c.Path, err)
		}
		for _, k := range globalKeywords {
			if _, ok := body[k]; ok {
				t.Errorf("%s sets the global keyword %s", c.Path, k)
			}
		}
		for name := range body {
			if !strings.Contains(name, "$[[ inputs.prefix ]]") {
				t.Errorf("%s: job %q does not carry the prefix input, so it may merge with a job of the including pipeline", c.Path, name)
			}
		}
	}
}

// readmeSnippet returns the first yaml block of README.md's "In GitLab CI"
// section: the snippet a new team copies.
func readmeSnippet(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## In GitLab CI\n")
	if !ok {
		t.Fatal("README.md has no \"In GitLab CI\" section")
	}
	_, block, ok := strings.Cut(section, "```yaml\n")
	if !ok {
		t.Fatal("README.md's \"In GitLab CI\" has no yaml block")
	}
	snippet, _, ok := strings.Cut(block, "```\n")
	if !ok {
		t.Fatal("README.md's snippet is not closed")
	}
	return snippet
}

var componentLineRE = regexp.MustCompile(`(?m)^(\s*)- component: \$CI_SERVER_FQDN/supportmatrix/supportmatrix/([\w-]+)@(\d+\.\d+\.\d+)$`)

// The README's snippet includes a component of this project, at a released
// version that the components' default image also names.
func TestReadmeSnippet(t *testing.T) {
	snippet := readmeSnippet(t)
	m := componentLineRE.FindStringSubmatch(snippet)
	if m == nil {
		t.Fatalf("README's snippet includes no $CI_SERVER_FQDN/supportmatrix/supportmatrix/<component>@<version>:\n%s", snippet)
	}
	found := false
	for _, c := range loadAll(t) {
		if c.Name == m[2] {
			found = true
		}
		if img := c.Inputs["image"]; img != nil && !strings.HasSuffix(fmt.Sprint(img.Default), ":"+m[3]) {
			t.Errorf("%s's default image %v is not the README's version %s", c.Path, img.Default, m[3])
		}
	}
	if !found {
		t.Errorf("README's snippet includes %s, which templates/ lacks", m[2])
	}
	// The example parent pipeline names the same version.
	data, err := os.ReadFile(filepath.Join(root, "examples", "parent-pipeline", ".gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("@"+m[3]+"\n")) {
		t.Errorf("examples/parent-pipeline/.gitlab-ci.yml does not include the components at %s", m[3])
	}
}
