package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"unsafe"
)

// runLines are run texts for parseRun: the goldens' run lines and odd but
// well-formed spellings.
func runLines(t testing.TB) [][]byte {
	var out [][]byte
	for _, name := range []string{"testdata/results.golden", "testdata/collected.v2.golden"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSuffix(strings.TrimSpace(line), ","); strings.HasPrefix(line, `{"pipeline"`) {
				out = append(out, []byte(line))
			}
		}
	}
	if len(out) < 3 {
		t.Fatalf("%d run lines in the goldens", len(out))
	}
	for _, s := range []string{
		`{}`,
		` { "pipeline" : 7 , "url" : null , "counts" : true , "mr" : null , "local" : false } `,
		"{\"pipeline\":\n-3,\t\"source\":\"we\\u00e9b\\n\\\"\", \"ref\": \"caf\u00e9\", \"sha\": \"\\ud800\"}",
		`{"pipeline": 1, "created_at": "2026-05-01T00:00:00+02:00", "finished_at": null}`,
		`{"pipeline": 1, "jobs": null, "seconds": [ 1 , 2.0 ], "status": ""}`,
		`{"pipeline": 1, "servers": {"a/1.35": "v1", "a/1.35": "v2", "b/1.34": null}, "details": {}}`,
		`{"pipeline": 1, "servers": null, "details": null, "infra": null}`,
		`{"pipeline": 1, "details": {"a/1.35/x": null, "a/1.35/y": {"attempts": null, "server_version": null, "job_url": "", "tests": null}}}`,
		`{"pipeline": 1, "details": {"a/1.35/x": {"attempts": 2, "attempts": 3, "tests": {"failed": 1, "total": 4}, "reason": "needs >= 1.30 & <b>"}}}`,
		`{"pipeline": 1, "infra": [{"chain": "a/1.35", "step": "provision", "reason": "r", "job_id": 4}]}`,
		// refused by both
		`{"pipeline": "1"}`,
		`{"pipeline": 1.5}`,
		`{"pipeline": 1e3}`,
		`{"pipeline": 99999999999999999999}`,
		`{"mr": 1.0}`,
		`{"counts": "true"}`,
		`{"counts": 1}`,
		`{"url": 1}`,
		`{"url": []}`,
		`{"created_at": "yesterday"}`,
		`{"created_at": 1}`,
		`{"cells": []}`,
		`{"servers": []}`,
		`{"servers": {"a": 1}}`,
		`{"details": {"a": 1}}`,
		`{"details": {"a": {"kind": 1}}}`,
		`{"details": {"a": {"other": 1}}}`,
		`{"details": {"a": {"tests": {"failed": "1"}}}}`,
		`{"details": {"a": {"tests": {"flaky": 1}}}}`,
		`{"details": {"a": {"tests": []}}}`,
		`{"details": {"a": {"attempts": 1.5}}}`,
		`{"infra": [{"other": 1}]}`,
		`{"infra": {}}`,
		`[]`,
		`null`,
		`"run"`,
		// not JSON: nothing checks it before parseRun
		`{"pipeline": 01}`,
		`{"pipeline": -}`,
		`{"pipeline": 1.}`,
		`{"pipeline": 1,}`,
		`{"pipeline" 1}`,
		`{"pipeline": 1} x`,
		`{"pipeline": 1}}`,
		`{"pipeline": 1`,
		`{"counts": tru}`,
		`{"counts": truex}`,
		`{"url": nul}`,
		"{\"url\": \"a\x01\"}",
		`{"url": "a\x"}`,
		`{"url": "a}`,
		`{"jobs": [1,,2]}`,
		`{"jobs": [01]}`,
		`{"jobs": [1 2]}`,
		`{"jobs": [1e]}`,
		`{"jobs": [1}`,
		"{\"jobs\": [\v1]}",
		`{"seconds": [+1]}`,
		`{"seconds": [0x10]}`,
		`{"seconds": [Inf]}`,
		`{"servers": {"a": "b",}}`,
		`{"details": {"a": {"tests": {"failed": 01}}}}`,
		`{"infra": [}`,
		`{"created_at": "2026-05-01T00:00:00Z"x}`,
	} {
		out = append(out, []byte(s))
	}
	return out
}

// asJSON decodes a run text as encoding/json reads it into runV2, with
// unknown fields refused, and parseRun's result made comparable.
func asJSON(text []byte) (runV2, error) {
	var w runV2
	if !json.Valid(text) {
		return w, errors.New("not JSON")
	}
	err := strictJSON(text, &w)
	return w, err
}

func comparable(l runLine) runV2 {
	w := l.runV2
	if l.hasServers {
		w.Servers = map[string]string{}
		for _, s := range l.servers {
			w.Servers[s.key] = s.val
		}
	}
	if l.hasDetails {
		w.Details = map[string]detail{}
		for _, d := range l.details {
			w.Details[d.key] = d.val
		}
	}
	return w
}

// sameAsJSON fails unless parseRun reads text as encoding/json does: the
// same run, or an error from both. A field given twice or spelt in
// another case is parseRun's own error.
func sameAsJSON(t *testing.T, text []byte) {
	t.Helper()
	want, jerr := asJSON(text)
	// encoding/json holds the columns as their text: read it as the v2
	// reader did before parseRun read them.
	var jobs []int64
	var secs []float64
	if jerr == nil && want.Jobs != nil {
		jobs, jerr = parseJobs(want.Jobs, nil)
	}
	if jerr == nil && want.Seconds != nil {
		secs, jerr = parseSeconds(want.Seconds, nil)
	}
	got, err := parseRun(text, map[string]string{}, &runLine{})
	switch {
	case jerr != nil && err != nil:
		return
	case err != nil && (strings.Contains(err.Error(), "twice") || strings.Contains(err.Error(), "unknown field") || string(text) == "null"):
		return // stricter: a field given twice, a name not spelt exactly, a run that is null
	case jerr != nil:
		t.Fatalf("%s: encoding/json refuses it (%v), parseRun reads %+v", text, jerr, got)
	case err != nil:
		t.Fatalf("%s: encoding/json reads it, parseRun refuses it: %v", text, err)
	}
	if got.hasJobs != (want.Jobs != nil) || !slices.Equal(got.jobs, jobs) || got.hasSeconds != (want.Seconds != nil) || !slices.Equal(got.seconds, secs) {
		t.Fatalf("%s: columns\nparseRun      %v %v %v %v\nencoding/json %s %s", text, got.hasJobs, got.jobs, got.hasSeconds, got.seconds, want.Jobs, want.Seconds)
	}
	want.Jobs, want.Seconds = nil, nil
	if g := comparable(got); !reflect.DeepEqual(g, want) {
		t.Fatalf("%s:\nparseRun      %+v\nencoding/json %+v", text, g, want)
	}
}

// TestParseRunAsJSON: parseRun reads every run line as encoding/json reads
// it into runV2, but stricter on names.
func TestParseRunAsJSON(t *testing.T) {
	for _, text := range runLines(t) {
		sameAsJSON(t, text)
	}
	if _, err := parseRun([]byte(`{"Pipeline": 1}`), map[string]string{}, &runLine{}); err == nil {
		t.Error(`"Pipeline" read as "pipeline"`)
	}
	if _, err := parseRun([]byte(`{"pipeline": 1, "pipeline": 2}`), map[string]string{}, &runLine{}); err == nil {
		t.Error("a field given twice read")
	}
}

// TestParseRunInterns: the strings of runs read by one decoder are shared.
func TestParseRunInterns(t *testing.T) {
	strs := map[string]string{}
	line := []byte(`{"pipeline": 1, "details": {"a/1.35/x": {"reason": "needs Kubernetes >= 1.30"}}}`)
	a, err := parseRun(line, strs, &runLine{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := parseRun(bytes.Clone(line), strs, &runLine{})
	if err != nil {
		t.Fatal(err)
	}
	ra, rb := a.details[0].val.Reason, b.details[0].val.Reason
	if ra != rb || unsafe.StringData(ra) != unsafe.StringData(rb) {
		t.Fatalf("reasons %q and %q not shared", ra, rb)
	}
	if got := slices.Sorted(maps.Keys(strs)); !slices.Contains(got, "a/1.35/x") || !slices.Contains(got, ra) {
		t.Fatalf("interned %q", got)
	}
}

// FuzzParseRun: parseRun reads any well-formed run text as encoding/json
// does (TestParseRunAsJSON's rule), and refuses any other: nothing checks
// the text before it.
func FuzzParseRun(f *testing.F) {
	for _, text := range runLines(f) {
		f.Add(text)
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		if !json.Valid(text) {
			if w, err := parseRun(text, map[string]string{}, &runLine{}); err == nil {
				t.Fatalf("%q is not JSON, parseRun reads %+v", text, w)
			}
			return
		}
		sameAsJSON(t, text)
	})
}

// TestDecodeReaders: the stream reads the same file from a reader that
// hands out a byte at a time, or half of what is asked, or its last bytes
// with io.EOF; a reader's own error is the error, naming the file.
func TestDecodeReaders(t *testing.T) {
	for _, name := range []string{"testdata/results.golden", "testdata/collected.v2.golden", "testdata/v1/collected.json"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Parse(name, data)
		if err != nil {
			t.Fatal(err)
		}
		for how, r := range map[string]io.Reader{
			"one byte": iotest.OneByteReader(bytes.NewReader(data)),
			"half":     iotest.HalfReader(bytes.NewReader(data)),
			"data+EOF": iotest.DataErrReader(bytes.NewReader(data)),
		} {
			got, err := Decode(name, r)
			if err != nil {
				t.Fatalf("%s, %s: %v", name, how, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s, %s: read differently", name, how)
			}
		}
		broken := errors.New("disk on fire")
		_, err = Decode(name, io.MultiReader(bytes.NewReader(data[:len(data)/2]), iotest.ErrReader(broken)))
		if !errors.Is(err, broken) || !strings.Contains(err.Error(), name) {
			t.Fatalf("%s: a read error gave %v", name, err)
		}
	}
}

// TestErrorLines: an error names the line of the run, or of the byte where
// the file went wrong.
func TestErrorLines(t *testing.T) {
	key := layoutKey([]string{"a/1.35/x"})
	run := `{"pipeline": 7, "source": "web", "counts": true, "test_report": false, "created_at": "2026-05-01T00:00:00Z", "finished_at": "2026-05-01T00:00:00Z", "layout": "` + key + `", `
	for _, tt := range []struct{ data, want string }{
		{"{\n  \"schema\": \"supportmatrix/results/v2\",\n  \"layouts\": {\"" + key + "\": [\"a/1.35/x\"]},\n  \"runs\": [\n    " +
			run + `"status": "P", "jobs": [1]},` + "\n    " + run + `"status": "Z", "jobs": [1]}` + "\n  ]\n}\n",
			"line 6: runs[1] (pipeline 7): cell a/1.35/x: unknown status letter 'Z'"},
		{"{\n  \"schema\": \"supportmatrix/results/v2\",\n  \"runs\": [\n    {\"pipeline\": 7, \"url\": 3}\n  ]\n}\n", "line 4: runs[0]: url: want a string"},
		{"{\n  \"schema\": \"supportmatrix/results/v2\",\n  \"runs\": []\n}\n\nx", "line 6: trailing data"},
		{"{\n  \"schema\": \"supportmatrix/results/v2\",\n  \"runs\": [\n", "line 4: runs[0]: unexpected EOF"},
		{"{\n  \"schema\": \"supportmatrix/results/v2\"\n  \"runs\": []}", `line 3: found '"', want a comma`},
		// A v1 run refused is an error, not the runs before it.
		{"{\"schema\": \"supportmatrix/results/v1\", \"runs\": [\n{\"pipeline\": 7},\n{\"pipeline\": 8, \"bogus\": 1}]}", `line 3: runs[1]: json: unknown field "bogus"`},
	} {
		_, err := Parse("r.json", []byte(tt.data))
		if err == nil || !strings.Contains(err.Error(), "results r.json: "+tt.want) {
			t.Errorf("error %v, want %q", err, tt.want)
		}
	}
}
