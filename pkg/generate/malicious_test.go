package generate

import (
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"go.yaml.in/yaml/v3"
)

func maliciousPlan(t testing.TB) *matrix.Plan {
	return load(t, filepath.Join("testdata", "malicious.yaml"))
}

// jobKeys are the keys a generated job may have: the generator's and the
// default templates'.
var allowedJobKeys = map[string]bool{
	"extends": true, "stage": true, "needs": true, "variables": true, "image": true,
	"script": true, "before_script": true, "after_script": true, "artifacts": true,
	"tags": true, "resource_group": true, "timeout": true, "retry": true,
	"interruptible": true, "when": true, "allow_failure": true, "trigger": true, "services": true,
	"rules": true, // the self-report job's `- when: always`
}

// TestMaliciousValues generates a matrix whose free-text values are shell
// and YAML injections: no value reaches a script line or adds a job key, and
// the variables arrive exactly as written.
func TestMaliciousValues(t *testing.T) {
	t.Parallel()
	plan := maliciousPlan(t)
	out, err := Generate(plan, openTemplates(t, ""), Options{})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(out.Files[0].Data, &doc); err != nil {
		t.Fatalf("the generated pipeline is not valid YAML: %v", err)
	}
	jobs := 0
	for name, v := range doc {
		if name == "stages" || name == "workflow" {
			continue
		}
		body, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s: not a job mapping: %v", name, v)
			continue
		}
		if !strings.HasPrefix(name, ".") {
			jobs++
		}
		for key, v := range body {
			if !allowedJobKeys[key] {
				t.Errorf("%s: unexpected key %q", name, key)
			}
			if key == "script" || key == "before_script" || key == "after_script" {
				for _, line := range flatten(v) {
					for _, bad := range []string{"rm -rf", "pwned", "reboot"} {
						if strings.Contains(line, bad) {
							t.Errorf("%s: %s line carries a matrix value: %q", name, key, line)
						}
					}
				}
			}
		}
		if strings.HasPrefix(name, ".") {
			continue
		}
		vars, _ := body["variables"].(map[string]any)
		if strings.HasPrefix(name, "evil ") {
			if got := vars["EVIL"]; got != "$(rm -rf /)\n`reboot`; echo pwned ]: [x" {
				t.Errorf("%s: EVIL = %q, not the matrix value", name, got)
			}
			if got := vars["QUOTES"]; got != `' " \ --- ... # &a *a !!str` {
				t.Errorf("%s: QUOTES = %q, not the matrix value", name, got)
			}
		}
	}
	if jobs != len(out.Manifest.Jobs) {
		t.Errorf("%d jobs in the pipeline, %d in the manifest: a value added or hid a job", jobs, len(out.Manifest.Jobs))
	}
}

func flatten(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return nil
}
