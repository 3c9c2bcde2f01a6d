package cicheck

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestRules runs each rule on a file that breaks it and on one that keeps
// it. The GitLab source of each rule is cited beside its code.
func TestRules(t *testing.T) {
	long := strings.Repeat("x", 130)
	for _, tc := range []struct {
		name   string
		child  bool
		gitlab Version
		yaml   string
		want   []string // rules that must fire, in order; empty: none
	}{
		{
			name:  "child without workflow rules (GitLab issue 322012, policy.rb DEFAULT_ONLY)",
			child: true,
			yaml:  "a: {script: [x]}\n",
			want:  []string{RuleWorkflow},
		},
		{
			name:  "child whose jobs all have rules",
			child: true,
			yaml:  "a: {script: [x], rules: [{when: always}]}\n",
		},
		{
			name:  "child with workflow when: always",
			child: true,
			yaml:  "workflow: {rules: [{when: always}]}\na: {script: [x]}\n",
		},
		{
			name:  "child admitted on parent_pipeline",
			child: true,
			yaml:  "workflow: {rules: [{if: '$CI_PIPELINE_SOURCE == \"parent_pipeline\"'}]}\na: {script: [x]}\n",
		},
		{
			name:  "child refused by workflow",
			child: true,
			yaml:  "workflow: {rules: [{if: '$X', when: always}, {when: never}]}\na: {script: [x]}\n",
			want:  []string{RuleWorkflow},
		},
		{
			name:  "child maybe admitted",
			child: true,
			yaml:  "workflow: {rules: [{if: '$CI_PIPELINE_SOURCE == \"push\"'}]}\na: {script: [x]}\n",
			want:  []string{RuleWorkflow},
		},
		{
			name: "parent without workflow rules is the project's choice",
			yaml: "a: {script: [x]}\n",
		},
		{
			name: "rule when overrides job when (lib/gitlab/ci/build/rules.rb)",
			yaml: ".base: {rules: [{if: '$X', when: never}, {when: on_success}]}\ncollect: {extends: .base, when: always, script: [x]}\n",
			want: []string{RuleWhen},
		},
		{
			name: "rules that keep the job's when",
			yaml: ".base: {rules: [{if: '$X', when: never}, {when: always}]}\ncollect: {extends: .base, when: always, script: [x]}\n",
		},
		{
			name: "rules without when inherit the job's",
			yaml: "collect: {rules: [{if: '$X'}], when: always, script: [x]}\n",
		},
		{
			name: "binary in an include:artifact provider (artifact_file_reader.rb)",
			yaml: "generate: {script: [go build -o bin/tool ./cmd/tool], artifacts: {paths: [bin/tool, out/]}}\n" +
				"child: {needs: [generate], trigger: {include: [{artifact: out/pipeline.yml, job: generate}], strategy: depend}}\n",
			want: []string{RuleArtifactSize},
		},
		{
			name: "go build output elsewhere in a provider",
			yaml: "generate: {script: [go build -o tool ./cmd/tool], artifacts: {paths: [tool, out/]}}\n" +
				"child: {needs: [generate], trigger: {include: [{artifact: out/pipeline.yml, job: generate}], strategy: depend}}\n",
			want: []string{RuleArtifactSize},
		},
		{
			name: "whole project in a provider",
			yaml: "generate: {script: [x], artifacts: {paths: [.], untracked: true}}\n" +
				"child: {needs: [generate], trigger: {include: [{artifact: out/pipeline.yml, job: generate}], strategy: depend}}\n",
			want: []string{RuleArtifactSize, RuleArtifactSize},
		},
		{
			name: "small provider",
			yaml: "build: {script: [go build -o bin/tool ./cmd/tool], artifacts: {paths: [bin/tool]}}\n" +
				"generate: {script: [bin/tool generate --out out], artifacts: {paths: [out/]}}\n" +
				"child: {needs: [generate], trigger: {include: [{artifact: out/pipeline.yml, job: generate}], strategy: depend}}\n",
		},
		{
			name: "provider does not hold the file",
			yaml: "generate: {script: [x], artifacts: {paths: [other/]}}\n" +
				"child: {trigger: {include: [{artifact: out/pipeline.yml, job: generate}]}}\n",
			want: []string{RuleIncludeSource},
		},
		{
			name: "provider in another pipeline",
			yaml: "child: {trigger: {include: [{artifact: out/pipeline.yml, job: generate}]}}\n",
			want: []string{RuleIncludeSource},
		},
		{
			name:   "mirror before 18.2 (trigger.rb)",
			gitlab: Version{18, 1},
			yaml:   "g: {script: [x], artifacts: {paths: [out/]}}\nchild: {trigger: {include: [{artifact: out/p.yml, job: g}], strategy: mirror}}\n",
			want:   []string{RuleKeyword},
		},
		{
			name:   "mirror on 18.2",
			gitlab: Version{18, 2},
			yaml:   "g: {script: [x], artifacts: {paths: [out/]}}\nchild: {trigger: {include: [{artifact: out/p.yml, job: g}], strategy: mirror}}\n",
		},
		{
			name: "job name over 255 (processable.rb)",
			yaml: strings.Repeat("y", 256) + ": {script: [x]}\n",
			want: []string{RuleJobName},
		},
		{
			name: "needed job name over 128 (build_need.rb)",
			yaml: long + ": {script: [x]}\nb: {needs: [" + long + "], script: [x]}\n",
			want: []string{RuleJobName},
		},
		{
			name: "needed job name of 128",
			yaml: long[:128] + ": {script: [x]}\nb: {needs: [" + long[:128] + "], script: [x]}\n",
		},
		{
			name: "51 needs (seed/build.rb)",
			yaml: "b: {needs: [" + strings.Repeat("a, ", 50) + "a], script: [x]}\n",
			want: []string{RuleNeeds},
		},
		{
			name: "interruptible provision (cancel_redundant_pipelines_service.rb)",
			yaml: ".clusters/kind-provision: {script: [x]}\np: {extends: .clusters/kind-provision, interruptible: true}\n",
			want: []string{RuleInterruptible},
		},
		{
			name: "interruptible feature job",
			yaml: ".features/deploy: {script: [x]}\np: {extends: .features/deploy, interruptible: true}\n",
		},
		{
			name: "artifact path outside the project (file_archiver.go)",
			yaml: "a: {script: [x], artifacts: {paths: [../out/x.yml, /tmp/y, ok/]}}\n",
			want: []string{RuleArtifactPath, RuleArtifactPath},
		},
		{
			name: "expose_as GitLab refuses (lib/gitlab/ci/config/entry/artifacts.rb)",
			yaml: "a: {script: [x], artifacts: {expose_as: '<b>results</b>', paths: [out/*.md]}}\nb: {script: [x], artifacts: {expose_as: results}}\n",
			want: []string{RuleExposeAs, RuleExposeAs, RuleExposeAs},
		},
		{
			name: "expose_as as the report job writes it",
			yaml: "a: {script: [x], rules: [{when: always}], artifacts: {when: always, expose_as: supportmatrix results, paths: [supportmatrix-report/], reports: {junit: supportmatrix-report/junit.xml}}}\n",
		},
		{
			name: "two jobs of one group upload JUnit (build.rb test_suite_name)",
			yaml: "'gke 1.35: [deploy]': {script: [x], artifacts: {reports: {junit: a.xml}}}\n'gke 1.35: [runner]': {script: [x], artifacts: {reports: {junit: b.xml}}}\n",
			want: []string{RuleSuite},
		},
		{
			name: "one suite per job",
			yaml: "'gke 1.35: deploy': {script: [x], artifacts: {reports: {junit: a.xml}}}\n'gke 1.35: runner': {script: [x], artifacts: {reports: {junit: b.xml}}}\n",
		},
		{
			name: "plain strings YAML 1.1 reads as other types (Psych)",
			yaml: "a: {script: [x], variables: {F: on, G: '1:30', H: \"yes\", I: deploy}}\n",
			want: []string{RuleYAML11},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			found, err := Check([]File{{Name: "f.yml", Data: []byte(tc.yaml), Child: tc.child}}, Options{GitLab: tc.gitlab})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range found {
				got = append(got, f.Rule)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("rules %v, want %v:\n%s", got, tc.want, Error(found))
			}
			// The same file given as its tree, as the generator gives its
			// own: the same findings.
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tc.yaml), &doc); err != nil {
				t.Fatal(err)
			}
			fromTree, err := Check([]File{{Name: "f.yml", Tree: doc.Content[0], Child: tc.child}}, Options{GitLab: tc.gitlab})
			if err != nil {
				t.Fatal(err)
			}
			if Error(fromTree).Error() != Error(found).Error() {
				t.Errorf("as a tree:\n%s\nas text:\n%s", Error(fromTree), Error(found))
			}
		})
	}
}

func TestGroupName(t *testing.T) {
	for name, want := range map[string]string{
		"gke 1.35: [deploy]":          "gke 1.35",
		"gke 1.35: deploy":            "gke 1.35: deploy",
		"rspec 1/3":                   "rspec",
		"build 1:3":                   "build",
		"kind 1.35 nodes 1.32: [x]":   "kind 1.35 nodes 1.32",
		"k3s 1.34->1.35: deploy":      "k3s 1.34->1.35: deploy",
		"gke 1.35: wait 1.2":          "gke 1.35: wait 1.2",
		"gke 1.35: 2":                 "gke 1.35: 2",
		"kind 1.35 nodes 1.32: 10 20": "kind 1.35 nodes 1.32",
	} {
		if got := GroupName(name); got != want {
			t.Errorf("GroupName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for s, want := range map[string]Version{"17.0": {17, 0}, "18.2": {18, 2}, "17.3.1": {17, 3}} {
		if got, err := ParseVersion(s); err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "17", "17.x", "v17.0", "1.2.3.4", "0.1"} {
		if _, err := ParseVersion(s); err == nil {
			t.Errorf("ParseVersion(%q) accepted", s)
		}
	}
	if MaxYAMLSize(Version{17, 2}) != 1<<20 || MaxYAMLSize(Version{17, 3}) != 2<<20 {
		t.Error("YAML limit: 1 MB before 17.3, 2 MB since")
	}
}

// FuzzGroupName: the quick test in GroupName never skips a name GitLab's
// grouping would shorten.
func FuzzGroupName(f *testing.F) {
	for _, s := range []string{"gke 1.35: [deploy]", "rspec 1/3", "build 1:3", "a 1\\2", "x 10 20 ", "f0", "wait 1.2", "a\t1 2\n", "]", "1 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !mayGroup(s) && groupRE.MatchString(s) {
			t.Errorf("mayGroup(%q) is false, but GitLab's grouping shortens it to %q", s, strings.TrimSpace(groupRE.ReplaceAllString(s, "")))
		}
	})
}
