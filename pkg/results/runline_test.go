package results

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
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
	} {
		out = append(out, []byte(s))
	}
	return out
}

// asJSON decodes a run text as encoding/json reads it into runV2, with
// unknown fields refused, and parseRun's result made comparable.
func asJSON(text []byte) (runV2, error) {
	var w runV2
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
	// A RawMessage of encoding/json is the value's text as it was.
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
// does (TestParseRunAsJSON's rule), and never panics on any other.
func FuzzParseRun(f *testing.F) {
	for _, text := range runLines(f) {
		f.Add(text)
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		if !json.Valid(text) {
			return // the json.Decoder refuses it before parseRun sees it
		}
		sameAsJSON(t, text)
	})
}
