package results

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/internal/golden"
)

// v1Fixtures are results files written by the v1 code: collected.json by
// its Marshal from the runs collect builds against the test GitLab
// (pkg/collect's every-outcome and infra goldens), the others as the tests
// of render and docs held them.
var v1Fixtures = []string{"collected.json", "golden.json", "render.json", "docs.json"}

// readV1 decodes a v1 file the way the v1 code did: the Go types are the
// v1 layout.
func readV1(t *testing.T, path string) *File {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if f.Schema != SchemaV1 {
		t.Fatalf("%s: schema %q, want a v1 fixture", path, f.Schema)
	}
	return &f
}

// stored is what v2 keeps of a run: durations in whole seconds and test
// counts only where a test failed; empty lists rather than none.
func stored(f *File) *File {
	out := &File{Schema: Schema, Runs: slicesClone(f.Runs)}
	for i := range out.Runs {
		r := &out.Runs[i]
		r.Cells = slicesClone(r.Cells)
		if r.Cells == nil {
			r.Cells = []CellResult{}
		}
		for j := range r.Cells {
			c := &r.Cells[j]
			c.Duration = seconds(c.Duration)
			c.Tests = storedTests(c.Tests)
		}
	}
	out.sort()
	return out
}

func slicesClone[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append([]T{}, s...)
}

// TestMigrateV1 reads every v1 fixture: the runs read are the v1 runs,
// less only what v2 does not store; written as v2 and read back they are
// the same again, and a second write is byte-identical.
func TestMigrateV1(t *testing.T) {
	for _, name := range v1Fixtures {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "v1", name)
			v1 := readV1(t, path)
			got, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			v1.Schema = Schema
			v1.sort()
			if !reflect.DeepEqual(got, v1) {
				t.Fatalf("runs read differ from the v1 runs:\n got %+v\nwant %+v", got.Runs, v1.Runs)
			}
			want := stored(v1)
			v2 := marshal(t, got)
			if !bytes.HasPrefix(v2, []byte("{\n  \"schema\": \""+Schema+"\",\n")) {
				t.Fatalf("written as:\n%.200s", v2)
			}
			back, err := Parse(name, v2)
			if err != nil {
				t.Fatalf("v2 does not read back: %v\n%s", err, v2)
			}
			if !reflect.DeepEqual(back, want) {
				t.Fatalf("v2 round trip lost something:\n got %+v\nwant %+v", back.Runs, want.Runs)
			}
			if again := marshal(t, back); !bytes.Equal(again, v2) {
				t.Fatalf("second write differs:\n%s\n---\n%s", v2, again)
			}
			if len(v2) >= len(mustRead(t, path)) {
				t.Errorf("v2 is %d bytes, v1 %d: no smaller", len(v2), len(mustRead(t, path)))
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestV2Golden shows the v2 form of the collected v1 fixture: one line per
// layout and per run.
func TestV2Golden(t *testing.T) {
	f, err := Read(filepath.Join("testdata", "v1", "collected.json"))
	if err != nil {
		t.Fatal(err)
	}
	got := marshal(t, f)
	golden.Assert(t, "collected.v2.golden", got)
	for i, line := range strings.Split(string(got), "\n") {
		if len(line) > 0 && !strings.HasPrefix(line, "  ") && line != "{" && line != "}" {
			t.Errorf("line %d not indented: %q", i+1, line)
		}
	}
}

// TestDerivedFieldsKeptWhenOdd: GitLab builds a job's web_url as
// project_job_url (lib/api/entities/ci/job_basic.rb), "<project>/-/jobs/<id>"
// (config/routes/project.rb); a job URL that is not the project's
// "/-/jobs/<id>", a kind the id does not say and a server version unlike
// its group's are stored, not rebuilt wrong.
func TestDerivedFieldsKeptWhenOdd(t *testing.T) {
	r := run(50, 3, true,
		CellResult{Cell: "gke/1.35/a", Kind: "test", Status: Passed, JobID: 7, JobURL: "https://gitlab.example/g/p/-/jobs/7", Attempts: 1, ServerVersion: "v1.35.1"},
		CellResult{Cell: "gke/1.35/b", Kind: "skew", Status: Passed, JobID: 7, JobURL: "https://elsewhere.example/7", Attempts: 1, ServerVersion: "v1.35.1"},
		CellResult{Cell: "gke/1.35/c", Kind: "test", Status: Broken, JobID: 5, JobURL: "", Attempts: 3, ServerVersion: ""},
		CellResult{Cell: "gke/1.35/nodes-1.33", Kind: "skew", Status: NotRun, ServerVersion: "v1.35.9", Reason: "manual job never played"},
		CellResult{Cell: "gke/1.34->1.35", Kind: "upgrade", Status: Failed, JobID: 9, JobURL: "https://gitlab.example/g/p/-/jobs/9", Attempts: 1,
			Tests: &TestCount{Total: 4, Passed: 3, Failed: 1}, FailureReason: "script_failure"},
	)
	r.URL = "https://gitlab.example/g/p/-/pipelines/50"
	r.Infra = []InfraResult{
		{Chain: "gke/1.35", Step: StepConnect, Reason: "x", JobID: 5},
		{Chain: "gke/1.34", Step: StepProvision, Reason: "y", JobID: 6, JobURL: "https://gitlab.example/g/p/-/jobs/6"},
	}
	f := New()
	f.Merge(r)
	back, err := Parse("odd", marshal(t, f))
	if err != nil {
		t.Fatal(err)
	}
	want := stored(f).Runs[0]
	want.Infra = append([]InfraResult{}, want.Infra...)
	want.Infra[0].JobURL = "https://gitlab.example/g/p/-/jobs/5" // a cluster job's link is always rebuilt
	if !reflect.DeepEqual(back.Runs[0], want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back.Runs[0], f.Runs[0])
	}
}

// TestMarshalRefusesTwice: a run holding a cell twice cannot be written
// (its details are keyed by cell id), so Update leaves the file alone.
func TestMarshalRefusesTwice(t *testing.T) {
	f := New()
	f.Merge(run(1, 1, true, cell("a/1.35/x", Passed), cell("a/1.35/x", Failed)))
	if _, err := f.Marshal(); err == nil || !strings.Contains(err.Error(), "cell a/1.35/x listed twice") {
		t.Fatalf("Marshal = %v, want the cell listed twice refused", err)
	}
}
