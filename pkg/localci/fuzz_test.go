package localci

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzScanEvents feeds arbitrary gitlab-ci-local output to the event
// scanner: it never fails on an in-memory reader, copies every line to the
// output (CRLF and a missing final newline normalised, nothing lost), and
// every event names a job whose name is in the input, with a duration that
// is not negative.
func FuzzScanEvents(f *testing.F) {
	f.Add([]byte("generate starting shell (test)\ngenerate finished in 126 ms\n" +
		"\t[child] -> a: [x] starting shell (test)\n\t[child] -> a: [x] finished in 1.19 s  FAIL 1 \n" +
		"\t[child] -> b finished in 57 ms  WARN 2  after_script\n\t\t[child -> shard 1] -> g1 finished in 2 min\n" +
		"\x1b[32m PASS \x1b[39m generate\npipeline finished in 13 s"))
	f.Add([]byte("a starting shell (test)\r\nb finished in 5 μs\r"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		events, err := scanEvents(bytes.NewReader(data), nil, &out)
		if err != nil {
			t.Fatalf("scanEvents: %v", err)
		}
		in := string(data)
		if len(data) < maxEventLine {
			var want strings.Builder
			for _, l := range strings.SplitAfter(in, "\n") {
				if l != "" {
					want.WriteString(strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r") + "\n")
				}
			}
			if out.String() != want.String() {
				t.Fatalf("output %q, want %q", out.String(), want.String())
			}
		}
		plain := ansiRE.ReplaceAllString(in, "")
		if len(events) > strings.Count(in, "\n")+1 {
			t.Fatalf("%d events from %d lines", len(events), strings.Count(in, "\n")+1)
		}
		for i, e := range events {
			if e.who == "" || !strings.Contains(plain, e.who) {
				t.Fatalf("event %d: job %q not in the input", i, e.who)
			}
			if e.duration < 0 || e.depth < 0 {
				t.Fatalf("event %d: duration %v, depth %d", i, e.duration, e.depth)
			}
			if !e.finished && (e.outcome != "" || e.exitCode != 0) {
				t.Fatalf("event %d: a start with an outcome: %+v", i, e)
			}
		}
	})
}
