package results

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the results reader: it refuses them
// (anything that is not JSON among them) with an error naming the file, or
// returns a history that Marshal encodes and Parse reads back to the same
// bytes (the file collect rewrites loses nothing and changes nothing on a
// second pass).
func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/results.golden", "testdata/collected.v2.golden", "testdata/v1/collected.json", "testdata/v1/golden.json"} {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"schema":"supportmatrix/results/v1","runs":[]}`))
	f.Add([]byte(`{"schema":"supportmatrix/results/v1","runs":[{"pipeline":1,"cells":null}]}`))
	f.Add([]byte(`{"schema":"supportmatrix/results/v1"} {}`))
	f.Add([]byte(v2run(`"layout": "` + layoutKey([]string{"a/1.35/x"}) + `", "status": "B", "jobs": [null], "details": {"a/1.35/x": {"server_version": "", "kind": "skew"}}`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.json", data)
		if err == nil && !json.Valid(data) {
			t.Fatalf("not JSON, and read: %q", data)
		}
		if err != nil {
			if !bytes.Contains([]byte(err.Error()), []byte("fuzz.json")) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		first, err := file.Marshal()
		if err != nil {
			t.Fatalf("parsed file does not encode: %v", err)
		}
		again, err := Parse("fuzz.json", first)
		if err != nil {
			t.Fatalf("encoded file does not parse: %v\n%s", err, first)
		}
		second, err := again.Marshal()
		if err != nil {
			t.Fatalf("second encode: %v", err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("round trip changed the file:\n%s\n---\n%s", first, second)
		}
	})
}
