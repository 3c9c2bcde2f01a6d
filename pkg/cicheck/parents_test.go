package cicheck_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/internal/component"
	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci/localcitest"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// parents are the parent pipelines the repository ships, with the matrix
// whose pipeline.gitlab they must run on.
var parents = []struct{ file, matrix string }{
	{"examples/parent-pipeline/.gitlab-ci.yml", ""}, // a user's project: the default target
	{".gitlab-ci.yml", "matrix/matrix.yaml"},
}

const repo = "../.."

// TestParentPipelines holds every parent pipeline of the repository to
// GitLab's rules (see cicheck.go for the GitLab source of each).
func TestParentPipelines(t *testing.T) {
	for _, p := range parents {
		t.Run(p.file, func(t *testing.T) {
			data := parentYAML(t, p.file)
			target := cicheck.DefaultGitLab
			if p.matrix != "" {
				m, err := matrix.Load(filepath.Join(repo, p.matrix))
				if err != nil {
					t.Fatal(err)
				}
				target = m.Pipeline.GitLab
			}
			found, err := cicheck.Check([]cicheck.File{{Name: p.file, Data: data}}, cicheck.Options{GitLab: target})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range found {
				t.Error(f)
			}
		})
	}
}

// parentYAML returns a parent pipeline as GitLab runs it: its includes of
// the project's CI/CD components (templates/) expanded with their inputs by
// gitlab-ci-local, which also validates it against GitLab's CI schema. The
// rules below thus hold the components to GitLab's rules too.
func parentYAML(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repo, file))
	if err != nil {
		t.Fatal(err)
	}
	bin := localcitest.Binary(t)
	expanded, err := component.Expand(repo, t.TempDir(), data, func(dir, f string) ([]byte, error) {
		return localci.Preview(context.Background(), bin, localcitest.Env(), dir, f)
	})
	if err != nil {
		t.Fatalf("GitLab's schema refuses %s: %v", file, err)
	}
	return expanded
}

// TestParentPipelineFlows checks what each parent's jobs run: the commit of
// the table only on the default branch's scheduled or web runs (any other
// run is a preview), generate with --templates, the plan written by
// generate --plan (against $CI_MERGE_REQUEST_DIFF_BASE_SHA in merge
// requests, which generate reads), the merge-request note with the plan.
func TestParentPipelineFlows(t *testing.T) {
	onDefault := regexp.MustCompile(`^\$CI_PIPELINE_SOURCE == "(schedule|web)" && \$CI_COMMIT_BRANCH == \$CI_DEFAULT_BRANCH$`)
	for _, p := range parents {
		t.Run(p.file, func(t *testing.T) {
			data := parentYAML(t, p.file)
			var doc map[string]any
			if err := yaml.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for name, v := range doc {
				job, ok := v.(map[string]any)
				if !ok || strings.HasPrefix(name, ".") {
					continue
				}
				script := strings.Join(lines(job["script"]), "\n")
				if strings.Contains(script, "publish --commit") {
					seen["commit"] = true
					rules, _ := job["rules"].([]any)
					if len(rules) == 0 {
						t.Errorf("%s: commits the table without rules: a branch's run would publish a preview", name)
					}
					for _, r := range rules {
						rule := r.(map[string]any)
						if rule["when"] == "never" {
							continue
						}
						if cond, _ := rule["if"].(string); !onDefault.MatchString(cond) {
							t.Errorf("%s: commits the table under rule if %q: only the default branch's scheduled or web runs may", name, cond)
						}
					}
				}
				for _, line := range lines(job["script"]) {
					if strings.Contains(line, "supportmatrix generate") {
						if !strings.Contains(line, "--templates") {
							t.Errorf("%s: generate without --templates: %s", name, line)
						}
						// generate reads the base from
						// $CI_MERGE_REQUEST_DIFF_BASE_SHA, for its changed
						// profile and the plan's change alike.
						seen["plan"] = seen["plan"] || strings.Contains(line, "--plan")
					}
					// A plan written into the generate job's artifacts
					// after generate escapes its archive check (GitLab
					// includes pipeline.yml only from an archive of at most
					// 5 MiB, lib/gitlab/ci/artifact_file_reader.rb).
					if strings.Contains(line, "supportmatrix plan") && strings.Contains(line, ">") {
						t.Errorf("%s: the plan written after generate, which does not count it in its job's archive: use generate --plan: %s", name, line)
					}
					if strings.Contains(line, "publish --mr-note") {
						seen["note"] = true
						if !strings.Contains(line, "--plan ") {
							t.Errorf("%s: the merge-request note without --plan: %s", name, line)
						}
					}
				}
			}
			for _, want := range []string{"commit", "plan", "note"} {
				if !seen[want] {
					t.Errorf("no job runs %s", want)
				}
			}
		})
	}
}

func lines(v any) []string {
	var out []string
	switch x := v.(type) {
	case string:
		out = append(out, x)
	case []any:
		for _, e := range x {
			out = append(out, lines(e)...)
		}
	}
	return out
}
