package program

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/internal/benchcpu"
	"gitlab.com/supportmatrix/supportmatrix/internal/largeexample"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// largeMatrix is the large example (examples/large: 6,660 cells).
const largeMatrix = "../../examples/large/matrix.yaml"

// BenchmarkPlanLarge and BenchmarkValidateLarge run `plan` and `validate`
// on the large example, side by side: plan counts the jobs generate would
// write, validate runs every check generate would refuse on (issue 14:
// plan at most 3× validate).
func BenchmarkPlanLarge(b *testing.B) {
	b.ReportAllocs()
	jobs := 0
	for b.Loop() {
		r, err := Plan(context.Background(), PlanOptions{Matrix: largeMatrix})
		if err != nil {
			b.Fatal(err)
		}
		jobs = r.Jobs
	}
	b.ReportMetric(float64(jobs), "jobs")
}

func BenchmarkValidateLarge(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		r, err := Validate(ValidateOptions{Matrix: largeMatrix, Date: "2026-11-30"})
		if err != nil {
			b.Fatal(err)
		}
		if errs := r.Problems.Errors(); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}

// BenchmarkGenerateLarge runs generate as the component's job does, the
// large example grown to 8,040 cells (49 distributions) loaded and written
// to disk, with and without --plan: the plan counts the jobs of every cell
// (generate.Count) and, against a base, those of the change, and writes
// the Markdown. "all" is a scheduled pipeline; "changed" a merge request
// whose base lacks the last distribution (its cells added). The cost of
// --plan is each pair's difference.
func BenchmarkGenerateLarge(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "..", largeexample.File))
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	write := func(name string, dists int) string {
		grown, err := largeexample.Grow(data, dists)
		if err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, grown, 0o644); err != nil {
			b.Fatal(err)
		}
		return path
	}
	head, base := write("matrix.yaml", 49), write("base.yaml", 48)
	for _, c := range []struct {
		name    string
		profile string
		base    string
		plan    bool
	}{
		{"cells=8k/all", matrix.ProfileAll, "", false},
		{"cells=8k/all/plan", matrix.ProfileAll, "", true},
		{"cells=8k/changed", matrix.ProfileChanged, base, false},
		{"cells=8k/changed/plan", matrix.ProfileChanged, base, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			o := GenerateOptions{Matrix: head, Profile: c.profile, Base: c.base, Plan: c.plan, Out: filepath.Join(dir, "out"), WorkDir: dir}
			var r *GenerateResult
			cpu := benchcpu.Now()
			for b.Loop() {
				if r, err = Generate(context.Background(), o); err != nil {
					b.Fatal(err)
				}
			}
			benchcpu.Report(b, cpu)
			b.ReportMetric(float64(r.Cells), "cells")
			b.ReportMetric(float64(r.Jobs), "jobs")
		})
	}
}
