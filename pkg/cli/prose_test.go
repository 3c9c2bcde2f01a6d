package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitlab"
	"gitlab.com/supportmatrix/supportmatrix/pkg/localci"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// documentValues are the values the documents state: those the help is
// filled from (helpValues) and a few that only the documents state, each
// read from its owner.
func documentValues() map[string]any {
	v := helpValues()
	for k, x := range map[string]any{
		"IDPattern":     matrix.IDPattern,
		"DefaultGitLab": cicheck.DefaultGitLab,
		"GreenRunsMax":  matrix.GreenRunsRange.Max,
		"AlertAfterMax": matrix.AlertAfterRange.Max,
		"FlakyPercent":  fmt.Sprintf("%g", 100*matrix.DefaultFlakyAbove),
		"Timeout":       inUnits(gitlab.DefaultRunTimeout, time.Minute, "minutes"),
		"PageSize":      docs.MaxPageSize >> 20,
		"MaxNeeds":      cicheck.MaxNeeds,
		"NodeMajor":     localci.NodeMajor,
		"ActiveJobs":    activeJobs(),
	} {
		if _, ok := v[k]; ok {
			panic("documentValues: " + k + " is a help value already")
		}
		v[k] = x
	}
	return v
}

// activeJobs says GitLab.com's active-jobs limits tier by tier: "500 on
// Free, 20,000 on Premium, 100,000 on Ultimate".
func activeJobs() string {
	var parts []string
	for _, l := range cicheck.GitLabComActiveJobs {
		n := strconv.Itoa(l.Jobs)
		for i := len(n) - 3; i > 0; i -= 3 {
			n = n[:i] + "," + n[i:]
		}
		parts = append(parts, n+" on "+l.Tier)
	}
	return strings.Join(parts, ", ")
}

// documentClaims are the statements of the documents (paths from the
// repository root) that restate a default or limit the code owns, as
// templates over documentValues. The documents are prose, not generated:
// each statement must appear in its file (white space aside), so a changed
// constant fails here until the prose follows, and so does prose edited
// away from the constant.
var documentClaims = map[string][]string{
	"README.md": {
		"(and, for the local run, Node {{.NodeMajor}} and rsync)",
		"`make run` installs gitlab-ci-local {{.GitLabCILocal}} with npm",
		"(`{{.LocalResults}}` keeps the newest {{.KeepCounting}} counting runs)",
		"`policy.<tier>.flaky_above` (default `{{.FlakyAbove}}`, {{.FlakyPercent}} %)",
		"(`{{.LocalLevelLog}}` beside `--results`, or `--levels-log`) judged after `--since` (default: {{.DigestPeriod}} before `--now`)",
		"keep the outcome of every cell in the newest {{.KeepCounting}} counting runs (and {{.KeepPreviews}} others) in `{{.Results}}`",
		"Everything goes under `--out` (default `{{.LocalOut}}`)",
		"**Retries are not rehearsed.** gitlab-ci-local {{.GitLabCILocal}} accepts `retry`",
		"`kubernetes.adopt_within` (default `{{.AdoptWithin}}`)",
		"warnings come {{.WarnAhead}} ahead",
		"`mirror` needs GitLab {{.MirrorFrom}} |",
		"files must run on (default `\"{{.DefaultGitLab}}\"`). Below {{.MirrorFrom}} the trigger jobs use `strategy: depend` (`mirror` exists from {{.MirrorFrom}} and is refused below it), and files are sized for the {{.SmallYAML}} MB YAML limit GitLab had before {{.LargeSince}} ({{.LargeYAML}} MB since).",
		"artifacts archive is at most {{.Artifact}} MiB, so the binary is built by another job",
		"re-publishes only the shard files, and past {{.Artifact}} MiB",
		"| {{.DefaultGitLab}}; `strategy: mirror` from {{.MirrorFrom}} (`pipeline.gitlab`) |",
		"bounded by `--timeout` (default {{.Timeout}})",
		"as regular files of at most {{.PageSize}} MiB",
		"counting runs in a row (default {{.AlertAfter}}: one red night is often a flake)",
		"`collect` and `publish` give up with exit {{.ExitAPI}} after `--timeout` (default {{.Timeout}}).",
		"Exit codes: `{{.ExitOK}}` success; `{{.ExitInvalid}}` invalid input or a failed check (the message says where); `{{.ExitUsage}}` wrong usage; `{{.ExitAPI}}` the GitLab API failed after retries.",
		"a project together ({{.ActiveJobs}}), so sharding",
		"{{.MaxNeeds}} needs per job and GitLab's name lengths",
	},
	"examples/README.md": {
		"(https://github.com/firecow/gitlab-ci-local) ({{.GitLabCILocal}}, Node {{.NodeMajor}},",
		"npm install --prefix .tools gitlab-ci-local@{{.GitLabCILocal}}",
	},
	"matrix/README.md": {
		"(`{{.LocalResults}}` keeps {{.KeepCounting}})",
		"(0: never; at most {{.AlertAfterMax}})",
		"`alert_after` (default {{.AlertAfter}}, `matrix.DefaultAlertAfter`, on every tier)",
	},
	"docs/matrix-reference.md": {
		"Ids match `{{.IDPattern}}`.",
		"(at most {{.GreenRunsMax}}: the counting runs the history keeps)",
		"(`strategy: mirror` needs {{.MirrorFrom}}) and how large a file may be ({{.SmallYAML}} MB of YAML before {{.LargeSince}}, {{.LargeYAML}} MB since)",
		"(mirror when gitlab is {{.MirrorFrom}} or later)",
	},
}

// space matches a run of white space, which Markdown reads as one space.
var space = regexp.MustCompile(`\s+`)

// TestDocumentsStateOwnedValues: each statement of documentClaims, filled
// from the owners' values, is in its document.
func TestDocumentsStateOwnedValues(t *testing.T) {
	t.Parallel()
	values := documentValues()
	for file, claims := range documentClaims {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("..", "..", file))
			if err != nil {
				t.Fatal(err)
			}
			text := space.ReplaceAllString(string(data), " ")
			for _, claim := range claims {
				tmpl, err := template.New(file).Option("missingkey=error").Parse(claim)
				if err != nil {
					t.Fatalf("%q: %v", claim, err)
				}
				var b strings.Builder
				if err := tmpl.Execute(&b, values); err != nil {
					t.Fatalf("%q: %v", claim, err)
				}
				if want := space.ReplaceAllString(b.String(), " "); !strings.Contains(text, want) {
					t.Errorf("%s does not say %q (from %q): write the code's value there, or change the claim with the prose", file, want, claim)
				}
			}
		})
	}
}

// TestHelpFilled: every help file is filled (no template action left, no
// missing value), and every help value is stated somewhere, in a help file
// or a document claim: a value nothing states is dead.
func TestHelpFilled(t *testing.T) {
	t.Parallel()
	entries, err := helpFiles.ReadDir("help")
	if err != nil {
		t.Fatal(err)
	}
	var sources []string
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".txt")
		raw, err := helpFiles.ReadFile("help/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, string(raw))
		if got := helpText(name); strings.Contains(got, "{{") || strings.Contains(got, "<no value>") {
			t.Errorf("help/%s is not filled:\n%s", e.Name(), got)
		}
	}
	for _, claims := range documentClaims {
		sources = append(sources, claims...)
	}
	all := strings.Join(sources, "\n")
	for k := range documentValues() {
		if !strings.Contains(all, "{{."+k+"}}") {
			t.Errorf("the value %s is stated nowhere: drop it or use it", k)
		}
	}
}
