package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// buildReport is the one way commands turn a matrix and a run history into
// the table's content: policy requirements are judged by the docs audit,
// exactly as `docs --check` judges them, so the table never shows supported
// while the checker reports a gap.
//
// now is when the levels are judged (zero: the newest result's time); local
// asks for the local view, in which local runs decide levels.
func buildReport(m *matrix.Matrix, hist *results.File, root string, now time.Time, local bool) (*report.Report, *docs.Audit) {
	audit := docs.Inspect(m, root)
	rep := report.Build(m, hist, report.Options{Now: now, Local: local, Repo: os.DirFS(root), Requirement: audit.Requirement})
	return rep, audit
}

// parseNow reads --now: an RFC 3339 time such as GitLab's
// CI_PIPELINE_CREATED_AT ("2026-05-10T06:00:00Z"); "" is the zero time.
func parseNow(cmd, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, Usage(fmt.Errorf("%s: --now %q: want an RFC3339 time such as 2026-05-10T00:00:00Z", cmd, s))
	}
	return t.UTC(), nil
}

// nowFlag is --now of render and publish: the time the levels are judged
// at. In CI it defaults to the pipeline's creation time, so that a table
// published after the scheduled runs stopped decays to stale. GitLab sets
// CI_PIPELINE_CREATED_AT to pipeline.created_at.iso8601
// (lib/gitlab/ci/variables/builder/pipeline.rb), which RFC 3339 reads.
func nowFlag(def string) *cli.StringFlag {
	return &cli.StringFlag{Name: "now", Usage: "judge the levels (staleness) at this `RFC3339` time (default: " + def + ")",
		EnvVars: []string{"SUPPORTMATRIX_NOW", "CI_PIPELINE_CREATED_AT"}}
}
