package program

import (
	"fmt"
	"os"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/pkg/report"
	"gitlab.com/supportmatrix/supportmatrix/pkg/results"
)

// buildReport turns a matrix and a run history into the table's content
// through docs.BuildReport (policy requirements judged by the docs audit).
//
// now is when the levels are judged (zero: the newest result's time); local
// asks for the local view, in which local runs decide levels (report's
// rule: run --local's own history, never published).
func buildReport(m *matrix.Matrix, hist *results.File, root string, now time.Time, local bool) (*report.Report, *docs.Audit) {
	return docs.BuildReport(m, hist, root, report.Options{Now: now, Local: local})
}

// parseNow reads --now: an RFC 3339 time such as GitLab's
// CI_PIPELINE_CREATED_AT ("2026-05-10T06:00:00Z"), which GitLab sets to
// pipeline.created_at.iso8601 (lib/gitlab/ci/variables/builder/pipeline.rb);
// "" is the zero time.
func parseNow(cmd, s string) (time.Time, error) { return parseTime(cmd, "--now", s) }

// parseTime reads the RFC 3339 time of flag; "" is the zero time.
func parseTime(cmd, flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("%s: %s %q: want an RFC3339 time such as 2026-05-10T00:00:00Z", cmd, flag, s)
	}
	return t.UTC(), nil
}

// localOnly reports whether a history holds runs and every one is local:
// such a history is shown in the local view.
func localOnly(f *results.File) bool {
	for _, r := range f.Runs {
		if !r.Local {
			return false
		}
	}
	return len(f.Runs) > 0
}

// rootDir returns root, or the matrix's default root when empty, and
// checks that it is a directory.
func rootDir(root, matrixPath string) (string, error) {
	if root == "" {
		root = docs.DefaultRoot(matrixPath)
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return "", fmt.Errorf("--root %s is not a directory", root)
	}
	return root, nil
}
