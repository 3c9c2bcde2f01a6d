package generate

import (
	"bytes"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
)

// TestWriterTree checks the job writer's retry key against encode on the
// tree the provide and report jobs carry (retryNode), byte for byte and in
// its size estimate, and that no retries leave the key out of both.
func TestWriterTree(t *testing.T) {
	t.Parallel()
	for _, r := range []matrix.Retry{
		{Max: 2, When: []string{"runner_system_failure", "stuck_or_timeout_failure"}},
		{Max: 1},
		{Max: 2, When: []string{"on", "script_failure"}}, // a YAML 1.1 look-alike is quoted by both
	} {
		job := newMapping()
		job.set("retry", retryNode(r))
		doc := newMapping()
		doc.set("j", job.n)
		want, err := encode(doc.n)
		if err != nil {
			t.Fatal(err)
		}
		m := &matrix.Matrix{Pipeline: matrix.Pipeline{Retry: r}}
		w := &writer{}
		w.mapping(0, "j")
		w.tree(2, "retry", w.retry(m))
		if w.err != nil {
			t.Fatal(w.err)
		}
		if !bytes.Equal(w.buf, want) {
			t.Errorf("retry %+v: writer\n%s\nencode\n%s", r, w.buf, want)
		}
		if got, want := w.size, deepSize(doc.n)-sizeMapping; got != want { // the file owns the top-level mapping
			t.Errorf("retry %+v: size %d, want %d", r, got, want)
		}
	}
	if n := retryNode(matrix.Retry{}); n != nil {
		t.Errorf("no retries: retryNode gives %v, want no key", n)
	}
}

// TestWriterTreeRefuses: a shape the writer does not know is an error,
// never bytes that differ from encode's.
func TestWriterTreeRefuses(t *testing.T) {
	t.Parallel()
	w := &writer{}
	w.tree(2, "retry", seq(newMapping().n))
	if w.err == nil || !strings.Contains(w.err.Error(), "not a string") {
		t.Errorf("a sequence of mappings: error %v", w.err)
	}
	w = &writer{}
	w.tree(2, "x", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: "1.5"})
	if w.err == nil {
		t.Error("a float scalar: no error")
	}
}
