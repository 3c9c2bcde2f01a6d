package program

import (
	"context"
	"testing"
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
