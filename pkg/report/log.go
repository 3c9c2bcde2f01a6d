package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// LogFile is the level log's name, next to SUPPORT.md (matrix/levels.log):
// one JSON object a line, one line per level change, appended by `publish
// --commit` in the commit that changes the table and never truncated, so
// that every level the default branch ever showed traces to the runs that
// decided it, long after the bounded run history dropped them.
const LogFile = "levels.log"

// TableFile is the support table's name (matrix/SUPPORT.md; SUPPORT.md in
// a local run's directory), which PROGRAM.md links beside itself.
const TableFile = "SUPPORT.md"

// LogEntry is one level change of a distribution × minor.
type LogEntry struct {
	// Cell is the distribution × minor: gke/1.35.
	Cell string `json:"cell"`
	// From is the level the log held before; "" for the cell's first entry.
	From Level `json:"from"`
	To   Level `json:"to"`
	// At is when the level was judged (the report's Now).
	At time.Time `json:"at"`
	// Pipeline and URL name the run that decided the new level
	// (Version.DecidedBy); 0 when none did (untested, n/a).
	Pipeline int64  `json:"pipeline,omitempty"`
	URL      string `json:"url,omitempty"`
	// Local marks a local run's id (run --local's own log).
	Local  bool   `json:"local,omitempty"`
	Reason string `json:"reason"`
}

// ParseLog reads a level log strictly: each non-empty line one entry with
// no unknown field, a cell, a level and a time; name and the line number
// are in the error.
func ParseLog(name string, data []byte) ([]LogEntry, error) {
	var out []LogEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		var e LogEntry
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("level log %s:%d: %w", name, n, err)
		}
		if e.Cell == "" || e.To == "" || e.At.IsZero() {
			return nil, fmt.Errorf("level log %s:%d: an entry needs cell, to and at", name, n)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("level log %s: %w", name, err)
	}
	return out, nil
}

// LastLevels returns each cell's newest logged level.
func LastLevels(entries []LogEntry) map[string]Level {
	out := map[string]Level{}
	for _, e := range entries {
		out[e.Cell] = e.To
	}
	return out
}

// Changes lists, in table order, the distribution × minors whose level
// differs from the last logged one (last), as entries judged at r.Now. A
// cell the log has never seen is logged once it has a level worth tracing
// (not untested or n/a). Logging a report twice adds nothing the second
// time.
func Changes(r *Report, last map[string]Level) []LogEntry {
	var out []LogEntry
	for _, d := range r.Distributions {
		for _, v := range d.Versions {
			key := d.ID + "/" + v.Kubernetes.String()
			from, seen := last[key]
			if from == v.Level || (!seen && (v.Level == Untested || v.Level == NotApplicable)) {
				continue
			}
			e := LogEntry{Cell: key, From: from, To: v.Level, At: r.Now.UTC(), Reason: v.Reason}
			if v.DecidedBy != nil {
				e.Pipeline, e.URL, e.Local = v.DecidedBy.Pipeline, v.DecidedBy.URL, v.DecidedBy.Local
			}
			out = append(out, e)
		}
	}
	return out
}

// AppendLog returns the log data followed by the entries, one JSON line
// each: what was there is kept byte for byte.
func AppendLog(data []byte, entries []LogEntry) []byte {
	out := append([]byte(nil), data...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	for _, e := range entries {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(e); err != nil {
			// Strings, numbers, booleans and a time: this cannot fail.
			panic("report: encode level log entry: " + err.Error())
		}
		out = append(out, buf.Bytes()...)
	}
	return out
}

// UpdateLog appends to the log data the level changes r shows against it,
// and returns the new data and the changes. A log that cannot be read is
// an error naming name: it is never replaced.
func UpdateLog(name string, data []byte, r *Report) ([]byte, []LogEntry, error) {
	entries, err := ParseLog(name, data)
	if err != nil {
		return nil, nil, err
	}
	changes := Changes(r, LastLevels(entries))
	if len(changes) == 0 {
		return data, nil, nil
	}
	return AppendLog(data, changes), changes, nil
}
