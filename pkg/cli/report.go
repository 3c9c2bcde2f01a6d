package cli

import (
	"os"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// buildReport is the one way commands turn a matrix and a run history into
// the table's content: policy requirements are judged by the docs audit,
// exactly as `docs --check` judges them, so the table never shows supported
// while the checker reports a gap.
func buildReport(m *matrix.Matrix, hist *results.File, root string, now time.Time) (*report.Report, *docs.Audit) {
	audit := docs.Inspect(m, root)
	rep := report.Build(m, hist, report.Options{Now: now, Repo: os.DirFS(root), Requirement: audit.Requirement})
	return rep, audit
}
