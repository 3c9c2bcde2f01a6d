package collect

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// FuzzParseManifest feeds arbitrary bytes to the manifest reader: it refuses
// them with an error naming the file, or returns a manifest whose jobs all
// have a name, a file and a kind, no (file, name) twice, and that encodes
// and reads back to the same bytes.
func FuzzParseManifest(f *testing.F) {
	// The small goldens: the project one (70 KB) slows the mutator to a crawl.
	seeds := []string{"../generate/testdata/minimal/manifest.json.golden", "../generate/testdata/local/manifest.json.golden"}
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"schema":"` + ManifestSchema + `","jobs":[{"name":"a","file":"f","kind":"test"},{"name":"a","file":"f","kind":"test"}]}`))
	f.Add([]byte(`{"schema":"` + ManifestSchema + `","jobs":[{"name":"","file":"f"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest("fuzz.json", data)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		seen := map[[2]string]bool{}
		for i, j := range m.Jobs {
			if j.Name == "" || j.File == "" || j.Kind == "" {
				t.Fatalf("jobs[%d] accepted without name, file or kind: %+v", i, j)
			}
			k := [2]string{j.File, j.Name}
			if seen[k] {
				t.Fatalf("job %q accepted twice in %s", j.Name, j.File)
			}
			seen[k] = true
		}
		first, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("parsed manifest does not encode: %v", err)
		}
		again, err := ParseManifest("fuzz.json", first)
		if err != nil {
			t.Fatalf("encoded manifest does not parse: %v\n%s", err, first)
		}
		second, err := json.Marshal(again)
		if err != nil {
			t.Fatalf("second encode: %v", err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("round trip changed the manifest:\n%s\n---\n%s", first, second)
		}
	})
}

// FuzzParseJUnit feeds arbitrary bytes to the JUnit reader: it refuses them
// with an error naming the file, or returns cases with one of GitLab's four
// statuses, trimmed output, and no more cases than <testcase> elements the
// input can hold.
func FuzzParseJUnit(f *testing.F) {
	f.Add([]byte(`<testsuites><testsuite name="a"><testsuite name="b">
		<testcase classname="c" name="ok"/>
		<testcase classname="c" name="bad"><failure message="boom">trace</failure></testcase>
		<testcase classname="c" name="err"><error/></testcase>
		<testcase classname="c" name="skip"><skipped/></testcase>
		<testcase classname="supportmatrix" name="server version"><system-out> v1.35.2+k3s1 </system-out></testcase>
		</testsuite></testsuite></testsuites>`))
	f.Add([]byte(`<testsuite><testcase classname="x" name="y" time="1.5"/></testsuite>`))
	f.Add([]byte(`<html/>`))
	f.Add([]byte(`<testsuite>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cases, err := ParseJUnit("fuzz.xml", data)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.xml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if n := bytes.Count(data, []byte("testcase")); len(cases) > n {
			t.Fatalf("%d cases from %d testcase names", len(cases), n)
		}
		for i, tc := range cases {
			switch tc.Status {
			case "success", "failed", "error", "skipped":
			default:
				t.Fatalf("case %d: status %q", i, tc.Status)
			}
			if tc.SystemOutput != strings.TrimSpace(tc.SystemOutput) {
				t.Fatalf("case %d: untrimmed output %q", i, tc.SystemOutput)
			}
		}
	})
}
