// Package validate is the gate every later command relies on: it reports,
// at the matrix line that causes it, everything `plan` and `generate` would
// refuse (the matrix itself, the job templates it names, the generated
// pipeline's limits), and, as warnings, the findings that fail
// `versions --check` (the Kubernetes calendar) and `docs --check` (the
// program's documents).
//
// A matrix that Matrix accepts without errors expands, plans and generates
// with the same templates: a test walks every invalid fixture through all
// the stages to keep it so.
package validate

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/jobs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/diag"
	"gitlab.com/supportmatrix/supportmatrix/pkg/docs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
	"gitlab.com/supportmatrix/supportmatrix/pkg/kube"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// Options are the inputs of Matrix.
type Options struct {
	// File names the matrix in problems; Data is its content.
	File string
	Data []byte
	// Templates are the job templates generate would use; nil means the
	// embedded defaults.
	Templates *jobs.Set
	// Today stands in for the current day in the calendar checks.
	Today time.Time
	// Root is the repository root docs paths are relative to; "" means
	// docs.DefaultRoot of File.
	Root string
}

// Result is what Matrix found.
type Result struct {
	// Matrix and Plan are nil when any problem is an error.
	Matrix *matrix.Matrix
	Plan   *matrix.Plan
	// Problems are every finding, errors and warnings, sorted by place.
	Problems diag.Problems
}

// Matrix checks the matrix in o.Data and returns every problem at once.
func Matrix(o Options) *Result {
	set := o.Templates
	if set == nil {
		set, _ = jobs.Open("")
	}
	m, plan, probs := matrix.ParseExpanded(o.File, o.Data)
	res := &Result{Problems: probs}
	if m != nil {
		res.Problems = append(res.Problems, Templates(m, plan, set)...)
		if len(res.Problems.Errors()) == 0 {
			res.Problems = append(res.Problems, generates(m, plan, set)...)
		}
		res.Problems = append(res.Problems, kube.Check(m, o.Today)...)
		res.Problems = append(res.Problems, docs.CheckPlan(plan, o.Root)...)
		if len(res.Problems.Errors()) == 0 {
			res.Matrix, res.Plan = m, plan
		}
	}
	res.Problems.Sort()
	return res
}

// Templates checks that every template the plan's jobs use exists and is a
// valid job body. Each problem is reported at the matrix line that names
// the template; a problem inside the template names its own line too.
func Templates(m *matrix.Matrix, plan *matrix.Plan, set *jobs.Set) diag.Problems {
	var out diag.Problems
	seen := map[string]bool{}
	check := func(rel string, at matrix.Pos, elem string) {
		if seen[rel] {
			return
		}
		seen[rel] = true
		_, err := set.Parse(rel)
		var tps jobs.Problems
		switch {
		case err == nil:
		case errors.As(err, &tps):
			for _, p := range tps {
				out.Addf(diag.Error, at, elem, "template", "%s: %s", p.Pos, p.Message)
			}
		case errors.Is(err, fs.ErrNotExist):
			out.Addf(diag.Error, at, elem, "template", "%v; write it in the --templates directory or name an existing template", err)
		default:
			out.Addf(diag.Error, at, elem, "template", "%v", err)
		}
	}
	for _, f := range m.Features {
		check(jobs.FeaturePath(f.Template), f.TemplatePos, "features."+f.ID+".template")
	}
	for _, d := range m.Distributions {
		elem := "distributions." + d.ID + ".cluster"
		switch d.Cluster.Type {
		case matrix.ClusterPermanent:
			check(jobs.ConnectPath, d.Cluster.Pos, elem)
		case matrix.ClusterEphemeral:
			check(jobs.ClusterPath(d.Cluster.Provision), d.Cluster.ProvisionPos, elem+".provision")
			check(jobs.ClusterPath(d.Cluster.Teardown), d.Cluster.TeardownPos, elem+".teardown")
		}
	}
	if len(plan.Upgrades) > 0 {
		check(jobs.UpgradePath, m.Upgrades.Pos, "upgrades")
	}
	return out
}

// generates runs the generator on every cell, as `plan` and `generate
// --profile all` do, and reports what it refuses that the checks before
// did not name: the layout limits (a chain larger than max_jobs, a router
// over it). The generator's errors start with the matrix line and element
// that cause them ("m.yaml:12:5: pipeline.limits.max_jobs: ..."); the
// problem keeps both.
func generates(m *matrix.Matrix, plan *matrix.Plan, set *jobs.Set) diag.Problems {
	_, err := generate.Generate(plan, set, generate.Options{})
	if err == nil {
		return nil
	}
	at, path, msg := matrix.Pos{File: m.File, Line: 1, Column: 1}, "", err.Error()
	if rest, ok := strings.CutPrefix(msg, m.File+":"); ok {
		if n, _ := fmt.Sscanf(rest, "%d:%d: ", &at.Line, &at.Column); n == 2 {
			msg = rest[strings.Index(rest, ": ")+2:]
			if p, m, ok := strings.Cut(msg, ": "); ok && !strings.Contains(p, " ") {
				path, msg = p, m
			}
		}
	}
	var out diag.Problems
	out.Addf(diag.Error, at, path, "generate", "%s", msg)
	return out
}
