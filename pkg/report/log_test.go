package report

import (
	"strings"
	"testing"
)

func TestParseLogErrors(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"not json", "{\"cell\":\"a/1.35\"", "levels.log:1"},
		{"unknown field", `{"cell":"a/1.35","to":"supported","at":"2026-05-01T00:00:00Z","extra":1}`, `unknown field "extra"`},
		{"no cell", "\n" + `{"to":"supported","at":"2026-05-01T00:00:00Z"}`, "levels.log:2: an entry needs cell, to and at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseLog("levels.log", []byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestUpdateLog logs a report against an empty log, then again: the
// second time adds nothing, and a malformed log is never replaced.
func TestUpdateLog(t *testing.T) {
	m := loadFixture(t)
	r := Build(m, file(green(1, 0), green(2, 7), green(3, 14)), Options{Requirement: judged})
	data, changes, err := UpdateLog("levels.log", nil, r)
	if err != nil {
		t.Fatal(err)
	}
	// gke/1.35 is supported; untested and n/a cells are not logged first.
	if len(changes) != 1 || changes[0].Cell != "gke/1.35" || changes[0].From != "" || changes[0].To != Supported || changes[0].Pipeline != 3 {
		t.Fatalf("changes %+v, want gke/1.35 supported by pipeline #3", changes)
	}
	again, more, err := UpdateLog("levels.log", data, r)
	if err != nil || len(more) != 0 || string(again) != string(data) {
		t.Fatalf("logging the same report again: %v, %+v", err, more)
	}
	if _, _, err := UpdateLog("levels.log", []byte("garbage\n"), r); err == nil {
		t.Fatal("a malformed log was accepted")
	}
}
