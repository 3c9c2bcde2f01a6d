package generate

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
)

// TestManifestMatchesJSON: the manifest writer writes what
// json.MarshalIndent writes, on every plan of testPlans (the large one
// outside -short), and on manifests with empty and missing lists.
func TestManifestMatchesJSON(t *testing.T) {
	t.Parallel()
	if n := reflect.TypeOf(ManifestJob{}).NumField(); n != manifestJobFields {
		t.Fatalf("ManifestJob has %d fields, appendManifestJob writes %d: add the new ones to it", n, manifestJobFields)
	}
	plans := testPlans(t)
	manifests := map[string]*Manifest{
		"empty": {Schema: ManifestSchema, Jobs: []ManifestJob{}, Cells: []string{}},
		"nil":   {Schema: ManifestSchema},
		"hostile": {Schema: ManifestSchema, Cells: hostileScalars, Jobs: []ManifestJob{
			{Name: "<a> & \"b\"\n", File: "f\u2028", Kind: "\xff", Target: "é\t"}, {},
		}},
	}
	for name, plan := range plans {
		dir := ""
		if name == "local" {
			dir = filepath.Join(repo, "examples/local/templates")
		}
		out, err := Generate(plan, openTemplates(t, dir), Options{ArtifactDir: "out"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		manifests[name] = &out.Manifest
	}
	for name, m := range manifests {
		want, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		got, err := encodeManifest(m)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the manifest writer differs from encoding/json:\n%s", name, golden.FirstDiff(want, got))
		}
	}
}
