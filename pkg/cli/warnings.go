package cli

import (
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/kube"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// matrixWarnings gathers the findings that `validate` shows as warnings:
// the Kubernetes calendar checks of `versions --check`.
func matrixWarnings(m *matrix.Matrix, today time.Time, root string) matrix.Problems {
	var out matrix.Problems
	out = append(out, kube.Check(m, today)...)
	return out
}
