package matrix

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInvalidFixtures loads every testdata/invalid-*.yaml and compares its
// problems, in order, with the file's "# want: line:col: message" comments.
func TestInvalidFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid-*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want := wantComments(data)
			if filepath.Base(file) == "invalid-empty.yaml" {
				want = []string{`1:1: file is empty; a matrix starts with "schema: supportmatrix/v1" [empty]`}
			}
			if len(want) == 0 {
				t.Fatalf("%s has no # want: comments", file)
			}
			m, err := Load(file)
			if err == nil {
				t.Fatalf("Load accepted %s: %d distributions", file, len(m.Distributions))
			}
			probs, ok := err.(Problems)
			if !ok {
				t.Fatalf("error is %T, not Problems: %v", err, err)
			}
			var got []string
			for _, p := range probs {
				if p.Pos.File != file {
					t.Errorf("problem names file %q, want %q", p.Pos.File, file)
				}
				got = append(got, strings.TrimPrefix(p.String(), file+":"))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("problems differ\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

func wantComments(data []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "# want: "); ok {
			out = append(out, rest)
		}
	}
	return out
}

// TestRefusedInputs covers inputs that cannot carry comments.
func TestRefusedInputs(t *testing.T) {
	// Each distribution merges the previous one ten times: 10^9 nodes if expanded.
	bomb := "schema: supportmatrix/v1\ndistributions:\n  d0: &d0 {name: x}\n"
	for i := 1; i <= 9; i++ {
		prev := fmt.Sprintf("*d%d", i-1)
		bomb += fmt.Sprintf("  d%d: &d%d {<<: [%s]}\n", i, i, strings.TrimSuffix(strings.Repeat(prev+", ", 10), ", "))
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"binary", []byte("schema: \x00\x01\x02"), "m.yaml:1:1: not a UTF-8 text file [encoding]"},
		{"invalid utf-8", []byte("schema: \xff\xfe"), "m.yaml:1:1: not a UTF-8 text file [encoding]"},
		{"blank", []byte("\n\n   \n"), `m.yaml:1:1: file is empty; a matrix starts with "schema: supportmatrix/v1" [empty]`},
		{"huge", bytes.Repeat([]byte("# padding\n"), MaxFileSize/10+1), "m.yaml:1:1: file is larger than 4 MiB; a matrix is a reviewed text file [size]"},
		{"scalar", []byte("just text\n"), `m.yaml:1:1: a matrix is a mapping starting with "schema: supportmatrix/v1", not the string "just text" [type]`},
		{"two documents", []byte("schema: supportmatrix/v1\n---\nschema: supportmatrix/v1\n"), "m.yaml:2:1: the file holds more than one YAML document; a matrix is one document [yaml]"},
		{"no schema", []byte("kubernetes: {versions: [\"1.35\"]}\n"), `m.yaml:1:1: schema: missing "schema: supportmatrix/v1" [schema]`},
		{"alias bomb", []byte(bomb), "m.yaml:1:1: the document expands to more than 2000000 nodes through aliases; refused [alias-bomb]"},
		// A mapping that merges itself crashed every command with a stack
		// overflow (issue 13); yaml.v3's decoder refuses it the same way.
		{"self-merge", []byte("schema: supportmatrix/v1\nkubernetes: {versions: [\"1.35\"]}\nfeatures: {deploy: {name: D}}\ndistributions:\n  d: &base {<<: *base}\n"),
			"m.yaml:5:3: distributions.d.name: missing name (the distribution's name in the table) [required]\n" +
				"m.yaml:5:3: distributions.d.tier: missing tier: official, beta, community or deprecated [required]\n" +
				"m.yaml:5:3: distributions.d.cluster: missing cluster: {type: permanent, context: ...} or {type: ephemeral, provision: ..., teardown: ...} [required]\n" +
				"m.yaml:5:17: distributions.d: anchor 'base' value contains itself: the merge key (<<) would expand without end [alias]"},
		{"self-merge in a list", []byte("schema: supportmatrix/v1\ndistributions:\n  a: &a {<<: [{name: x}, *a]}\n"),
			"m.yaml:1:1: kubernetes: missing section \"kubernetes\" [required]\n" +
				"m.yaml:1:1: features: missing section \"features\" [required]\n" +
				"m.yaml:3:3: distributions.a.tier: missing tier: official, beta, community or deprecated [required]\n" +
				"m.yaml:3:3: distributions.a.cluster: missing cluster: {type: permanent, context: ...} or {type: ephemeral, provision: ..., teardown: ...} [required]\n" +
				"m.yaml:3:26: distributions.a: anchor 'a' value contains itself: the merge key (<<) would expand without end [alias]"},
		// Merging the enclosing mapping into a value is no cycle: the merge
		// copies keys, it does not decode the values it copies.
		{"parent merged into a value", []byte("schema: supportmatrix/v1\ndistributions:\n  a: &a\n    name: x\n    cluster: {<<: *a}\n"),
			"m.yaml:1:1: kubernetes: missing section \"kubernetes\" [required]\n" +
				"m.yaml:1:1: features: missing section \"features\" [required]\n" +
				"m.yaml:3:3: distributions.a.tier: missing tier: official, beta, community or deprecated [required]\n" +
				"m.yaml:4:5: distributions.a.cluster.name: unknown key \"name\" (merged in); known keys: type, context, provision, teardown [unknown-key]\n" +
				"m.yaml:5:5: distributions.a.cluster.cluster: unknown key \"cluster\" (merged in); known keys: type, context, provision, teardown [unknown-key]\n" +
				"m.yaml:5:14: distributions.a.cluster.type: missing type: permanent or ephemeral [required]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("m.yaml", tt.data)
			if err == nil {
				t.Fatal("accepted")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestValidFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid-*.yaml")
	if len(files) == 0 {
		t.Fatal("no valid fixtures")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			if _, err := Load(file); err != nil {
				t.Fatalf("refused:\n%v", err)
			}
		})
	}
}

func TestFloatVersionsKeepTheirText(t *testing.T) {
	m, err := Load("testdata/valid-float-versions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range m.Kubernetes.Versions {
		got = append(got, v.String())
	}
	if strings.Join(got, " ") != "1.29 1.30 1.31" {
		t.Errorf("versions = %v, want 1.29 1.30 1.31", got)
	}
	eks := m.Distribution("eks")
	if offered := m.OfferedMinors(eks); len(offered) != 2 || offered[0].String() != "1.30" {
		t.Errorf("eks offers %v, want 1.30 and 1.31", offered)
	}
	if name := eks.ReleaseName(Minor{Major: 1, Minor: 30}); name != "eks-1.30" {
		t.Errorf("release name of 1.30 = %q", name)
	}
	if d := m.Feature("deploy").Timeout.D.Minutes(); d != 90 {
		t.Errorf("timeout = %v minutes, want 90", d)
	}
}

func TestMergeKeys(t *testing.T) {
	m, err := Load("testdata/valid-anchors.yaml")
	if err != nil {
		t.Fatal(err)
	}
	k3s := m.Distribution("k3s")
	if k3s.Name != "k3s" || k3s.Tier != TierCommunity || k3s.Cluster.Provision != "kind-provision" {
		t.Errorf("k3s = %+v", k3s)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		minutes float64
		bad     bool
	}{
		{in: "45m", minutes: 45},
		{in: "1h 30m", minutes: 90},
		{in: "1 hour 30 minutes", minutes: 90},
		{in: "3 hours", minutes: 180},
		{in: "8d", minutes: 8 * 24 * 60},
		{in: "1 week", minutes: 7 * 24 * 60},
		{in: "90", minutes: 1.5},
		{in: "2h, 5m", minutes: 125},
		{in: "0", bad: true},
		{in: "", bad: true},
		{in: "soon", bad: true},
		{in: "5 parsecs", bad: true},
		{in: "-5m", bad: true},
	}
	for _, tt := range tests {
		d, err := ParseDuration(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseDuration(%q) = %v, want an error", tt.in, d)
			}
			continue
		}
		if err != nil || d.Minutes() != tt.minutes {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v minutes", tt.in, d, err, tt.minutes)
		}
	}
}

// FuzzParse feeds arbitrary bytes to the loader: it may refuse them, never panic.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("schema: supportmatrix/v1\ndistributions:\n  d: &base {<<: *base}\n"))
	f.Add([]byte("schema: supportmatrix/v1\n<<: {x: 1}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, probs := ParseWithWarnings("fuzz.yaml", data)
		if m == nil && len(probs.Errors()) == 0 {
			t.Fatal("no matrix and no error")
		}
		if m != nil {
			Expand(m)
		}
	})
}
