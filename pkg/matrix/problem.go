package matrix

import "gitlab.com/supportmatrix/supportmatrix/pkg/diag"

// The matrix reports through pkg/diag, the one diagnostics type; these
// names keep the package's callers short.
type (
	// Pos is a position in a matrix file.
	Pos = diag.Pos
	// Severity tells an error from a warning.
	Severity = diag.Severity
	// Problem is one finding in a matrix file.
	Problem = diag.Problem
	// Problems is every problem found in a file.
	Problems = diag.Problems
)

// The severities.
const (
	Error   = diag.Error
	Warning = diag.Warning
)
