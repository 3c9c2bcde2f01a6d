package generate

import (
	"bytes"
	"path/filepath"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
)

// TestFastEncoderMatchesYAML checks that the fast path writes exactly what
// yaml.v3 writes for every chain of the examples, the large example and a
// matrix with hostile values.
func TestFastEncoderMatchesYAML(t *testing.T) {
	plans := map[string]*matrix.Plan{
		"large":     largePlan(t, 4),
		"malicious": maliciousPlan(t),
	}
	for _, ex := range examples {
		plans[ex.name] = load(t, filepath.Join(repo, ex.matrix))
	}
	for name, plan := range plans {
		t.Run(name, func(t *testing.T) {
			run, err := selectCells(plan, Options{})
			if err != nil {
				t.Fatal(err)
			}
			b := &builder{m: plan.Matrix, plan: plan, run: run,
				tc: &templateCache{src: openTemplates(t, ""), image: plan.Matrix.Pipeline.Image, done: map[string]*prepared{}}}
			if name == "local" {
				b.tc.src = openTemplates(t, filepath.Join(repo, "examples/local/templates"))
			}
			if err := b.build(); err != nil {
				t.Fatal(err)
			}
			fast := newFastEncoder()
			for _, c := range b.chains {
				doc := newMapping()
				for _, j := range c {
					n, err := j.node(plan.Matrix)
					if err != nil {
						t.Fatal(err)
					}
					doc.set(j.name, n)
				}
				want, err := encode(doc.n)
				if err != nil {
					t.Fatal(err)
				}
				got, err := fast.encode(doc.n)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("chain %q: fast encoder differs from yaml.v3:\n%s", c[0].name, golden.FirstDiff(want, got))
				}
			}
		})
	}
}
