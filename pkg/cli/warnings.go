package cli

import (
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/kube"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// matrixWarnings gathers the findings that `validate` shows as warnings:
// the Kubernetes calendar checks of `versions --check` and the program's
// documentation checks of `docs --check` (root "" means docs.DefaultRoot).
func matrixWarnings(m *matrix.Matrix, today time.Time, root string) matrix.Problems {
	var out matrix.Problems
	out = append(out, kube.Check(m, today)...)
	out = append(out, docs.Check(m, root)...)
	return out
}
