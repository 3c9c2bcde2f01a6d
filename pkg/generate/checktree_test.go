package generate

import (
	"bytes"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
)

// TestCheckTreesMatchFiles: the trees the generator gives pkg/cicheck are
// the files it writes, read back: the same preamble and hidden templates,
// and of every job the keys a rule reads (cicheck.ReadsJobKey), in the
// same order with the same values.
func TestCheckTreesMatchFiles(t *testing.T) {
	t.Parallel()
	for name, plan := range testPlans(t) {
		t.Run(name, func(t *testing.T) {
			b := testBuild(t, name, plan)
			w := &writer{}
			var chains []*encodedChain
			for _, c := range b.chains {
				ec, err := encodeChain(plan.Matrix, c, w, true)
				if err != nil {
					t.Fatal(err)
				}
				chains = append(chains, ec)
			}
			out, laid, err := layout(plan.Matrix, chains, Options{ArtifactDir: "out", MaxYAMLSize: cicheck.MaxYAMLSize(plan.Matrix.Pipeline.GitLab), GenerateJob: DefaultGenerateJob}, !b.nothing)
			if err != nil {
				t.Fatal(err)
			}
			trees := newCheckTrees(plan.Matrix)
			checked := 0
			for i, f := range out.Files {
				if i >= len(laid) || laid[i] == nil {
					continue
				}
				var doc yaml.Node
				if err := yaml.Unmarshal(f.Data, &doc); err != nil {
					t.Fatal(err)
				}
				read := jobKeys(canonical(doc.Content[0]))
				given := jobKeys(canonical(trees.file(laid[i])))
				checked++
				if sameNode(read, given) {
					continue // equal trees encode to equal bytes
				}
				want, err := encode(read)
				if err != nil {
					t.Fatal(err)
				}
				got, err := encode(given)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%s: the tree given to cicheck differs from the file read back:\n%s", f.Name, golden.FirstDiff(want, got))
				}
			}
			if checked == 0 {
				t.Fatal("no file was laid out from chains")
			}
		})
	}
}

// jobKeys keeps of each job of a file the keys a rule reads
// (cicheck.ReadsJobKey).
func jobKeys(root *yaml.Node) *yaml.Node {
	for k := 0; k+1 < len(root.Content); k += 2 {
		key, job := root.Content[k].Value, root.Content[k+1]
		if key == "workflow" || key == "stages" || strings.HasPrefix(key, ".") {
			continue
		}
		var kept []*yaml.Node
		for e := 0; e+1 < len(job.Content); e += 2 {
			if cicheck.ReadsJobKey(job.Content[e].Value) {
				kept = append(kept, job.Content[e], job.Content[e+1])
			}
		}
		job.Content = kept
	}
	return root
}

// sameNode reports whether two trees hold the same fields encode reads, so
// that they encode to the same bytes (a mapping or sequence untagged is
// tagged !!map or !!seq; an empty one is written [] or {} in any style);
// trees it calls different may still, and are compared encoded.
func sameNode(a, b *yaml.Node) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil || a.Kind != b.Kind || (a.Style != b.Style && (a.Kind == yaml.ScalarNode || len(a.Content)+len(b.Content) > 0)) || nodeTag(a) != nodeTag(b) || a.Value != b.Value ||
		a.Anchor != b.Anchor || a.HeadComment != b.HeadComment || a.LineComment != b.LineComment ||
		a.FootComment != b.FootComment || !sameNode(a.Alias, b.Alias) || len(a.Content) != len(b.Content) {
		return false
	}
	for i := range a.Content {
		if !sameNode(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}

// nodeTag is the tag encode writes a node with, a collection's default
// filled in.
func nodeTag(n *yaml.Node) string {
	switch {
	case n.Tag != "":
		return n.Tag
	case n.Kind == yaml.MappingNode:
		return "!!map"
	case n.Kind == yaml.SequenceNode:
		return "!!seq"
	}
	return ""
}
