package collect

import (
	"errors"
	"fmt"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// ErrManifestMismatch means the manifest does not describe the matrix or the
// pipeline it is used with: recording a run from it would file results
// under the wrong cells, or a run of nothing but not_run.
var ErrManifestMismatch = errors.New("the manifest does not match")

// CheckManifest refuses a manifest with cells the matrix does not have (the
// manifest of another matrix, or of an older version of this one): every
// cell job's cell must be a cell, upgrade or skew cell of the plan.
// matrixName names the matrix in the message.
func CheckManifest(m *Manifest, plan *matrix.Plan, matrixName string) error {
	if plan == nil {
		return nil
	}
	known := map[string]bool{}
	for _, c := range plan.Cells {
		known[c.ID] = true
	}
	for _, u := range plan.Upgrades {
		known[u.ID] = true
	}
	for _, s := range plan.Skews {
		known[s.ID] = true
	}
	var unknown []string
	for i := range m.Jobs {
		j := &m.Jobs[i]
		if j.IsCellJob() && !known[j.Cell] {
			unknown = append(unknown, fmt.Sprintf("%s (job %q)", j.Cell, j.Name))
		}
	}
	switch {
	case len(unknown) == 0:
		return nil
	case len(unknown) > 3:
		unknown = append(unknown[:3], fmt.Sprintf("and %d more", len(unknown)-3))
	}
	return fmt.Errorf("%w %s: cells %v are not in it (a manifest of another matrix?)", ErrManifestMismatch, matrixName, unknown)
}

// requireMatch refuses a run in which none of the manifest's cell jobs was
// found: it would record every cell as not_run. where names the run.
func requireMatch(matches []match, where string) error {
	cellJobs := 0
	for i := range matches {
		if !matches[i].mj.IsCellJob() {
			continue
		}
		cellJobs++
		if len(matches[i].attempts) > 0 {
			return nil
		}
	}
	if cellJobs == 0 {
		return nil
	}
	return fmt.Errorf("%w %s: none of its %d cell jobs is there; is it the manifest generate wrote for this pipeline?", ErrManifestMismatch, where, cellJobs)
}
