package program

import (
	"context"

	"gitlab.com/supportmatrix/supportmatrix/jobs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// PlanOptions are what `plan` reads.
type PlanOptions struct {
	Matrix    string
	Templates string // "" is the embedded defaults
	Base      string // a git ref or a matrix file to compare with; "" for none
	// Env (KEY=value) is the whole environment git runs in to read a ref
	// Base (gitrepo.Open).
	Env []string
}

// PlanResult is everything plan reports.
type PlanResult struct {
	Plan *matrix.Plan
	// Jobs is how many jobs generate writes for every cell.
	Jobs int
	// Diff is the change against Base; nil without a base.
	Diff *matrix.Diff
	// Scope lists the cells the merge-request pipeline runs (added,
	// changed and their dependents); ChangedJobs counts its jobs.
	Scope       []string
	ChangedJobs int
	Base        string
}

// Plan loads and expands the matrix, counts the jobs generate would write
// and, with a base, what the change adds, removes and changes.
func Plan(ctx context.Context, o PlanOptions) (*PlanResult, error) {
	m, err := matrix.Load(o.Matrix)
	if err != nil {
		return nil, err
	}
	set, err := jobs.Open(o.Templates)
	if err != nil {
		return nil, err
	}
	p := matrix.Expand(m)
	var c *change
	if o.Base != "" {
		if c, err = changeScope(ctx, o.Base, o.Env, o.Matrix, o.Templates, p, set); err != nil {
			return nil, err
		}
	}
	return planOf(p, set, c)
}

// planOf is the plan's report: the jobs generate writes for every cell
// and, with a change (nil for none), the change and the jobs of its scope.
// plan and generate --plan both report through it.
func planOf(p *matrix.Plan, set *jobs.Set, c *change) (*PlanResult, error) {
	r := &PlanResult{Plan: p}
	var err error
	if r.Jobs, err = countJobs(p, set, nil); err != nil {
		return nil, err
	}
	if c != nil {
		r.Diff, r.Base, r.Scope = &c.diff, c.base.Name, c.scope
		if r.ChangedJobs, err = countJobs(p, set, c.scope); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// countJobs counts the jobs generate would write for the cells (nil: every
// cell), trigger jobs of a sharded layout included, without writing them
// (generate.Count).
func countJobs(p *matrix.Plan, set *jobs.Set, cells []string) (int, error) {
	if cells != nil && len(cells) == 0 {
		return 0, nil
	}
	return generate.Count(p, set, generate.Options{Cells: cells})
}
