package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// A v2 run line is read by hand rather than by encoding/json's reflection:
// the run lines are nearly all of a history, and decoding them into runV2
// by reflection (and their columns twice, as raw copies) was most of
// rendering a full history of the large example (issue 14). The decoder's
// json.Decoder still checks that each run is well-formed JSON and hands it
// over as one value; parseRun then reads it with encoding/json's meaning
// for each field of runV2, with these differences, all stricter: field
// names match exactly (encoding/json also folds case) and a field given
// twice is an error (encoding/json keeps the last).

// runLine is a v2 run as parseRun reads it: its servers and details as
// lists in the file's order rather than maps, each applied to its cells
// once (a later entry for the same key wins, as in a map).
type runLine struct {
	runV2 // but Jobs, Seconds, Servers and Details
	// jobs and seconds are the columns read (job ids, not steps);
	// servers and details the fields' entries. The has fields tell
	// whether the fields were there (and, but for the columns, not null).
	jobs                   []int64
	seconds                []float64
	servers                []keyed[string]
	details                []keyed[detail]
	hasJobs, hasSeconds    bool
	hasServers, hasDetails bool
}

type keyed[T any] struct {
	key string
	val T
}

// parseRun reads one run of the v2 format from its JSON text, which is
// one well-formed JSON value. strs interns the strings read: the reasons,
// server versions and group names of a history repeat from run to run.
// The run's servers and details are appended to reuse's, emptied.
func parseRun(text []byte, strs map[string]string, reuse *runLine) (runLine, error) {
	p := &lineParser{s: text, strs: strs}
	w := runLine{jobs: reuse.jobs[:0], seconds: reuse.seconds[:0], servers: reuse.servers[:0], details: reuse.details[:0]}
	seen := map[string]bool{}
	err := p.object("run", func(key string) error {
		if seen[key] {
			return fmt.Errorf("field %q twice", key)
		}
		seen[key] = true
		var err error
		switch key {
		case "pipeline":
			w.Pipeline, err = p.int(key, 64)
		case "url":
			w.URL, err = p.str(key)
		case "source":
			w.Source, err = p.str(key)
		case "ref":
			w.Ref, err = p.str(key)
		case "sha":
			w.SHA, err = p.str(key)
		case "counts":
			w.Counts, err = p.bool(key)
		case "mr":
			var mr int64
			mr, err = p.int(key, strconv.IntSize)
			w.MR = int(mr)
		case "local":
			w.Local, err = p.bool(key)
		case "partial":
			w.Partial, err = p.bool(key)
		case "incomplete":
			w.Incomplete, err = p.bool(key)
		case "test_report":
			w.TestReport, err = p.bool(key)
		case "created_at":
			err = p.unmarshal(key, w.CreatedAt.UnmarshalJSON)
		case "finished_at":
			err = p.unmarshal(key, w.FinishedAt.UnmarshalJSON)
		case "layout":
			w.Layout, err = p.str(key)
		case "status":
			w.Status, err = p.str(key)
		case "jobs":
			var v []byte
			if v, err = p.value(); err == nil {
				w.jobs, err = parseJobs(v, w.jobs)
				w.hasJobs = true
			}
		case "seconds":
			var v []byte
			if v, err = p.value(); err == nil {
				w.seconds, err = parseSeconds(v, w.seconds)
				w.hasSeconds = true
			}
		case "servers":
			w.servers, w.hasServers, err = p.servers(w.servers)
		case "details":
			w.details, w.hasDetails, err = p.details(w.details)
		case "infra":
			err = p.unmarshal(key, func(v []byte) error { return strictJSON(v, &w.Infra) })
		default:
			return fmt.Errorf("json: unknown field %q", key)
		}
		return err
	})
	if p.space(); err == nil && p.i < len(p.s) {
		err = errors.New("data after the run")
	}
	return w, err
}

// strictJSON decodes one JSON value as the results file's decoder does:
// unknown fields are errors.
func strictJSON(v []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

// lineParser reads a well-formed JSON value from s, from position i.
type lineParser struct {
	s    []byte
	i    int
	strs map[string]string
}

func (p *lineParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

// peek returns the next byte past white space, or 0 at the end.
func (p *lineParser) peek() byte {
	p.space()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// null consumes a null and reports whether there was one.
func (p *lineParser) null() bool {
	if p.peek() == 'n' && bytes.HasPrefix(p.s[p.i:], []byte("null")) {
		p.i += 4
		return true
	}
	return false
}

// kind names the value ahead, for errors.
func (p *lineParser) kind() string {
	switch c := p.peek(); {
	case c == '"':
		return "a string"
	case c == '{':
		return "an object"
	case c == '[':
		return "a list"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	}
	return "nothing"
}

// value returns the next value's text and moves past it.
func (p *lineParser) value() ([]byte, error) {
	p.space()
	if p.i >= len(p.s) {
		return nil, io.ErrUnexpectedEOF
	}
	end, complete := valueEnd(p.s, p.i)
	if !complete && !literal(p.s[p.i]) {
		return nil, io.ErrUnexpectedEOF
	}
	text := p.s[p.i:end]
	p.i = end
	return text, nil
}

// valueEnd finds the end of the value starting at s[i]: a string, an
// object or a list by its closing byte, anything else by the first byte
// that cannot be in it. complete is false when s ends first. It only finds
// the end; whether the value is well-formed is for its reader to say.
func valueEnd(s []byte, i int) (end int, complete bool) {
	switch s[i] {
	case '"':
		end, _, err := stringEnd(s, i)
		return end, err == nil
	case '{', '[':
		depth := 0
		for j := i; j < len(s); j++ {
			switch s[j] {
			case '"':
				end, _, err := stringEnd(s, j)
				if err != nil {
					return len(s), false
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1, true
				}
			}
		}
		return len(s), false
	}
	for j := i; j < len(s); j++ {
		switch s[j] {
		case ',', '}', ']', ':', '"', '{', '[', ' ', '\t', '\r', '\n':
			return j, true
		}
	}
	return len(s), false
}

// stringEnd returns the position past the string starting with the quote
// at s[i], and whether its text can be taken as it is (no escape, nothing
// but printable ASCII).
func stringEnd(s []byte, i int) (int, bool, error) {
	plain := true
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			return j + 1, plain, nil
		case c == '\\':
			plain = false
			j++
		case c < 0x20 || c >= 0x80:
			plain = false
		}
	}
	return 0, false, io.ErrUnexpectedEOF
}

// rawString reads a string's text: interned when plain, else as
// encoding/json reads it (escapes, invalid UTF-8 replaced).
func (p *lineParser) rawString() (string, error) {
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return "", errors.New("want a string")
	}
	end, plain, err := stringEnd(p.s, p.i)
	if err != nil {
		return "", err
	}
	text := p.s[p.i:end]
	p.i = end
	if !plain {
		var s string
		if err := json.Unmarshal(text, &s); err != nil {
			return "", err
		}
		return p.intern(s), nil
	}
	body := text[1 : len(text)-1]
	if s, ok := p.strs[string(body)]; ok {
		return s, nil
	}
	s := string(body)
	p.strs[s] = s
	return s, nil
}

func (p *lineParser) intern(s string) string {
	if t, ok := p.strs[s]; ok {
		return t
	}
	p.strs[s] = s
	return s
}

// str reads field key's string; null is "".
func (p *lineParser) str(key string) (string, error) {
	if p.null() {
		return "", nil
	}
	if p.peek() != '"' {
		return "", fmt.Errorf("%s: want a string, found %s", key, p.kind())
	}
	return p.rawString()
}

// bool reads field key's boolean; null is false.
func (p *lineParser) bool(key string) (bool, error) {
	switch {
	case p.null():
		return false, nil
	case bytes.HasPrefix(p.s[p.i:], []byte("true")):
		p.i += 4
		return true, nil
	case bytes.HasPrefix(p.s[p.i:], []byte("false")):
		p.i += 5
		return false, nil
	}
	return false, fmt.Errorf("%s: want true or false, found %s", key, p.kind())
}

// int reads field key's integer of bits bits; null is 0. A fraction or an
// exponent is refused, as encoding/json refuses them for an integer.
func (p *lineParser) int(key string, bits int) (int64, error) {
	if p.null() {
		return 0, nil
	}
	if k := p.kind(); k != "a number" {
		return 0, fmt.Errorf("%s: want a whole number, found %s", key, k)
	}
	v, err := p.value()
	if err != nil {
		return 0, err
	}
	if !jsonNumber(v) {
		return 0, fmt.Errorf("%s: %s is not a JSON number", key, v)
	}
	n, err := strconv.ParseInt(string(v), 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%s: %s is not a whole number that fits", key, v)
	}
	return n, nil
}

// unmarshal hands field key's value, null included, to decode.
func (p *lineParser) unmarshal(key string, decode func([]byte) error) error {
	v, err := p.value()
	if err != nil {
		return err
	}
	if err := decode(v); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}

// object walks an object, calling each with every key; each reads the
// value. what names the object for errors.
func (p *lineParser) object(what string, each func(key string) error) error {
	if p.peek() != '{' {
		return fmt.Errorf("%s: want an object, found %s", what, p.kind())
	}
	p.i++
	if p.peek() == '}' {
		p.i++
		return nil
	}
	for {
		key, err := p.rawString()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if p.peek() != ':' {
			return fmt.Errorf("%s: want a colon after %q", what, key)
		}
		p.i++
		if err := each(key); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return fmt.Errorf("%s: want a comma or the object's end after %q", what, key)
		}
	}
}

// servers reads the servers field: group -> server version.
func (p *lineParser) servers(out []keyed[string]) ([]keyed[string], bool, error) {
	out = out[:0]
	if p.null() {
		return out, false, nil
	}
	err := p.object("servers", func(g string) error {
		v, err := p.str("server")
		out = append(out, keyed[string]{g, v})
		if err != nil {
			return fmt.Errorf("servers[%q]: %w", g, err)
		}
		return nil
	})
	return out, true, err
}

// details reads the details field: cell id -> detail.
func (p *lineParser) details(out []keyed[detail]) ([]keyed[detail], bool, error) {
	out = out[:0]
	if p.null() {
		return out, false, nil
	}
	err := p.object("details", func(id string) error {
		d, err := p.detail(id)
		out = append(out, keyed[detail]{id, d})
		return err
	})
	return out, true, err
}

// detail reads one cell's detail; null is none.
func (p *lineParser) detail(id string) (detail, error) {
	var d detail
	if p.null() {
		return d, nil
	}
	err := p.object("detail", func(key string) error {
		var err error
		switch key {
		case "kind":
			d.Kind, err = p.str(key)
		case "attempts":
			d.Attempts = nil
			if !p.null() {
				n, e := p.int(key, strconv.IntSize)
				a := int(n)
				d.Attempts, err = &a, e
			}
		case "failure_reason":
			d.FailureReason, err = p.str(key)
		case "reason":
			d.Reason, err = p.str(key)
		case "server_version":
			d.ServerVersion, err = p.optional(key)
		case "job_url":
			d.JobURL, err = p.optional(key)
		case "tests":
			d.Tests, err = p.tests()
		default:
			err = fmt.Errorf("json: unknown field %q", key)
		}
		return err
	})
	if err != nil {
		return d, fmt.Errorf("details[%q]: %w", id, err)
	}
	return d, nil
}

// optional reads a string that may be absent: null is nil.
func (p *lineParser) optional(key string) (*string, error) {
	if p.null() {
		return nil, nil
	}
	s, err := p.str(key)
	return &s, err
}

// tests reads test counts; null is none.
func (p *lineParser) tests() (*TestCount, error) {
	if p.null() {
		return nil, nil
	}
	var t TestCount
	err := p.object("tests", func(key string) error {
		var into *int
		switch key {
		case "total":
			into = &t.Total
		case "passed":
			into = &t.Passed
		case "failed":
			into = &t.Failed
		case "skipped":
			into = &t.Skipped
		case "errors":
			into = &t.Errors
		default:
			return fmt.Errorf("tests: json: unknown field %q", key)
		}
		n, err := p.int(key, strconv.IntSize)
		*into = int(n)
		if err != nil {
			return fmt.Errorf("tests: %w", err)
		}
		return nil
	})
	return &t, err
}

// lineError is an error at a line of the results file.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }
func (e *lineError) Unwrap() error { return e.err }

// jsonNumber reports whether v is a number as JSON spells it (RFC 8259,
// section 6): -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func jsonNumber(v []byte) bool {
	i := 0
	if i < len(v) && v[i] == '-' {
		i++
	}
	switch {
	case i < len(v) && v[i] == '0':
		i++
	case i < len(v) && v[i] >= '1' && v[i] <= '9':
		i = skipDigits(v, i)
	default:
		return false
	}
	if i < len(v) && v[i] == '.' {
		j := skipDigits(v, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		j := skipDigits(v, i)
		if j == i {
			return false
		}
		i = j
	}
	return i == len(v)
}

func skipDigits(v []byte, i int) int {
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	return i
}

// trimSpace drops JSON's white space (space, tab, CR, LF) around v.
func trimSpace(v []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
	for len(v) > 0 && isSpace(v[0]) {
		v = v[1:]
	}
	for len(v) > 0 && isSpace(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	return v
}
