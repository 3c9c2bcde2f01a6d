package docs

import (
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// BuildReport is the one way to turn a matrix and a run history into the
// support table's content: it inspects the docs pages under root (empty:
// DefaultRoot of the matrix file) and lets the audit judge the policy
// requirements (Audit.Requirement), exactly as `docs --check` judges them,
// so the table never shows supported while the checker reports a gap.
// Every command and every golden table goes through it; opts.Requirement
// is set here.
func BuildReport(m *matrix.Matrix, hist *results.File, root string, opts report.Options) (*report.Report, *Audit) {
	audit := Inspect(m, root)
	opts.Requirement = audit.Requirement
	return report.Build(m, hist, opts), audit
}
