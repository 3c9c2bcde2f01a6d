package results

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cellid"
)

// The on-disk format (schema supportmatrix/results/v2) is built for a file
// that a nightly publish commits: one line per run, so that a new run is one
// added line and a dropped run one removed line, and nothing stored twice.
//
//	{
//	  "schema": "supportmatrix/results/v2",
//	  "layouts": {
//	    "<key>": ["gke/1.35/deploy", "gke/1.35/runner", ...]
//	  },
//	  "runs": [
//	    {"pipeline": 12, ..., "layout": "<key>", "status": "PPFX", "jobs": [901, 1, 3, null], ...}
//	  ]
//	}
//
// A layout is the ordered list of a run's cell ids, shared by every run
// with the same cells and named by a hash of them. A run holds one column
// per dense field, in its layout's order: status (one letter per cell,
// StatusLetters), jobs (job ids as steps from the previous cell's job, null
// for a cell without a job) and seconds (durations in whole seconds).
// Everything else is written only where it is not the default:
//   - servers: the server version of each group of cells (the cell id up
//     to its second slash, "gke/1.35"), for the cells with a job;
//   - details: per cell id, the fields that differ from what is derived:
//     kind (derived from the id), attempts (1 with a job, else 0),
//     failure_reason, reason, server_version, job_url (rebuilt from the
//     run's URL and the job id) and test counts (kept only when a test
//     failed or errored).
//
// Job URLs are rebuilt the way GitLab builds them: a job's web_url is
// project_job_url (lib/api/entities/ci/job_basic.rb), a pipeline's is
// project_pipeline_url (lib/api/entities/ci/pipeline_basic.rb), both under
// the project's "/-/" scope (config/routes/project.rb: resources :jobs,
// resources :pipelines), and a child pipeline's jobs belong to the parent's
// project. A URL that does not follow that shape is kept as it was; a
// cluster job (infra) without a URL gets the rebuilt one.

// SchemaV1 is the previous results format, one JSON object per cell-run.
// Read migrates it; Marshal writes Schema.
const SchemaV1 = "supportmatrix/results/v1"

// StatusLetters is the one letter per status of a run's status column.
var StatusLetters = map[Status]byte{
	Passed: 'P', Failed: 'F', Flaky: 'K', AllowedFailure: 'A', Broken: 'B',
	Skipped: 'S', Canceled: 'C', NotRun: 'N', Excluded: 'X', Stale: 'T',
}

// letterStatus is StatusLetters the other way round; "" for no status.
var letterStatus = func() (a [256]Status) {
	for s, l := range StatusLetters {
		a[l] = s
	}
	return a
}()

// runV2 is one run on disk.
type runV2 struct {
	Pipeline   int64             `json:"pipeline"`
	URL        string            `json:"url,omitempty"`
	Source     string            `json:"source"`
	Ref        string            `json:"ref,omitempty"`
	SHA        string            `json:"sha,omitempty"`
	Counts     bool              `json:"counts"`
	MR         int               `json:"mr,omitempty"`
	Local      bool              `json:"local,omitempty"`
	Partial    bool              `json:"partial,omitempty"`
	Incomplete bool              `json:"incomplete,omitempty"`
	TestReport bool              `json:"test_report"`
	CreatedAt  time.Time         `json:"created_at"`
	FinishedAt time.Time         `json:"finished_at"`
	Layout     string            `json:"layout,omitempty"`
	Status     string            `json:"status,omitempty"`
	Jobs       json.RawMessage   `json:"jobs,omitempty"`
	Seconds    json.RawMessage   `json:"seconds,omitempty"`
	Servers    map[string]string `json:"servers,omitempty"`
	Details    map[string]detail `json:"details,omitempty"`
	Infra      []InfraResult     `json:"infra,omitempty"` // job_url only when not derived
}

// detail is what a cell-run holds beyond its columns and defaults.
type detail struct {
	Kind          string     `json:"kind,omitempty"`
	Attempts      *int       `json:"attempts,omitempty"`
	FailureReason string     `json:"failure_reason,omitempty"`
	Reason        string     `json:"reason,omitempty"`
	ServerVersion *string    `json:"server_version,omitempty"`
	JobURL        *string    `json:"job_url,omitempty"`
	Tests         *TestCount `json:"tests,omitempty"`
}

// ProjectURL returns the project's web URL that the run's pipeline URL is
// under (".../-/pipelines/<id>"), or "" when the URL has another shape.
func (r *Run) ProjectURL() string {
	suffix := "/-/pipelines/" + strconv.FormatInt(r.Pipeline, 10)
	if p, ok := strings.CutSuffix(r.URL, suffix); ok && p != "" {
		return p
	}
	return ""
}

// JobURL is the web URL GitLab gives job id of the run's project, or ""
// when the run's URL does not name a project or there is no job.
func (r *Run) JobURL(id int64) string {
	p := r.ProjectURL()
	if p == "" || id == 0 {
		return ""
	}
	return p + "/-/jobs/" + strconv.FormatInt(id, 10)
}

func defaultAttempts(c *CellResult) int {
	if c.JobID != 0 {
		return 1
	}
	return 0
}

// storedTests is what is kept of a cell's test counts: the counts of a cell
// with a failed or errored test, nothing for others.
func storedTests(t *TestCount) *TestCount {
	if t == nil || (t.Failed == 0 && t.Errors == 0) {
		return nil
	}
	c := *t
	return &c
}

// seconds is a duration as stored: whole seconds.
func seconds(d float64) float64 { return math.Round(d) }

// layoutKey names a list of cell ids.
func layoutKey(ids []string) string {
	h := sha256.New()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// encode writes f in the v2 format.
func encode(f *File) ([]byte, error) {
	layouts := map[string][]string{}
	runs := make([]runV2, len(f.Runs))
	for i := range f.Runs {
		w, ids, err := encodeRun(&f.Runs[i])
		if err != nil {
			return nil, err
		}
		if len(ids) > 0 {
			layouts[w.Layout] = ids
		}
		runs[i] = w
	}
	var buf bytes.Buffer
	buf.WriteString("{\n  \"schema\": ")
	if err := writeJSON(&buf, Schema); err != nil {
		return nil, fmt.Errorf("encode results: %w", err)
	}
	buf.WriteString(",\n  \"layouts\": {")
	keys := make([]string, 0, len(layouts))
	for k := range layouts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n    ")
		if err := writeJSON(&buf, k); err != nil {
			return nil, fmt.Errorf("encode results: layout %s: %w", k, err)
		}
		buf.WriteString(": ")
		if err := writeJSON(&buf, layouts[k]); err != nil {
			return nil, fmt.Errorf("encode results: layout %s: %w", k, err)
		}
	}
	if len(keys) > 0 {
		buf.WriteString("\n  ")
	}
	buf.WriteString("},\n  \"runs\": [")
	for i := range runs {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n    ")
		if err := writeJSON(&buf, &runs[i]); err != nil {
			return nil, fmt.Errorf("encode results: run %d: %w", runs[i].Pipeline, err)
		}
	}
	if len(runs) > 0 {
		buf.WriteString("\n  ")
	}
	buf.WriteString("]\n}\n")
	return buf.Bytes(), nil
}

// writeJSON appends v as one line of JSON, without HTML escaping.
func writeJSON(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1) // Encode's newline
	return nil
}

// encodeRun turns a run into its line and its layout's ids.
func encodeRun(r *Run) (runV2, []string, error) {
	w := runV2{
		Pipeline: r.Pipeline, URL: r.URL, Source: r.Source, Ref: r.Ref, SHA: r.SHA,
		Counts: r.Counts, MR: r.MR, Local: r.Local, Partial: r.Partial, Incomplete: r.Incomplete,
		TestReport: r.TestReport, CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt,
	}
	for _, in := range r.Infra {
		if in.JobURL == r.JobURL(in.JobID) {
			in.JobURL = ""
		}
		w.Infra = append(w.Infra, in)
	}
	if len(r.Cells) == 0 {
		return w, nil, nil
	}
	if id := twice(r.Cells); id != "" {
		return w, nil, fmt.Errorf("encode results: run %d: cell %s listed twice", r.Pipeline, id)
	}
	ids := make([]string, len(r.Cells))
	status := make([]byte, len(r.Cells))
	secs := []byte{'['}
	anySeconds := false
	jobs := []byte{'['}
	var prev int64
	for i := range r.Cells {
		c := &r.Cells[i]
		ids[i] = c.Cell
		l, ok := StatusLetters[c.Status]
		if !ok {
			return w, nil, fmt.Errorf("encode results: run %d: cell %s: unknown status %q", r.Pipeline, c.Cell, c.Status)
		}
		status[i] = l
		if i > 0 {
			jobs = append(jobs, ',')
			secs = append(secs, ',')
		}
		d := seconds(c.Duration)
		anySeconds = anySeconds || d != 0
		secs = strconv.AppendFloat(secs, d, 'f', -1, 64)
		if c.JobID == 0 {
			jobs = append(jobs, "null"...)
		} else {
			jobs = strconv.AppendInt(jobs, c.JobID-prev, 10)
			prev = c.JobID
		}
	}
	w.Jobs = append(jobs, ']')
	w.Layout, w.Status = layoutKey(ids), string(status)
	if anySeconds {
		w.Seconds = append(secs, ']')
	}
	w.Servers = serverDefaults(r.Cells)
	for i := range r.Cells {
		c := &r.Cells[i]
		var d detail
		if c.Kind != cellid.KindOf(c.Cell) {
			d.Kind = c.Kind
		}
		if c.Attempts != defaultAttempts(c) {
			d.Attempts = &c.Attempts
		}
		d.FailureReason, d.Reason = c.FailureReason, c.Reason
		def := ""
		if c.JobID != 0 {
			def = w.Servers[cellid.Group(c.Cell)]
		}
		if c.ServerVersion != def {
			d.ServerVersion = &c.ServerVersion
		}
		if c.JobURL != r.JobURL(c.JobID) {
			d.JobURL = &c.JobURL
		}
		d.Tests = storedTests(c.Tests)
		if d != (detail{}) {
			if w.Details == nil {
				w.Details = map[string]detail{}
			}
			w.Details[c.Cell] = d
		}
	}
	return w, ids, nil
}

// serverDefaults picks, per group, the server version most of its cells
// with a job saw (the smallest on a tie), so that only exceptions are
// written per cell.
func serverDefaults(cells []CellResult) map[string]string {
	count := map[string]map[string]int{}
	for i := range cells {
		c := &cells[i]
		if c.JobID == 0 || c.ServerVersion == "" {
			continue
		}
		g := cellid.Group(c.Cell)
		if count[g] == nil {
			count[g] = map[string]int{}
		}
		count[g][c.ServerVersion]++
	}
	if len(count) == 0 {
		return nil
	}
	out := make(map[string]string, len(count))
	for g, vs := range count {
		best, n := "", 0
		for v, k := range vs {
			if k > n || (k == n && v < best) {
				best, n = v, k
			}
		}
		out[g] = best
	}
	return out
}

// decoder reads a results file as a stream: the runs one at a time, never
// the whole file at once.
type decoder struct {
	s *stream
	// strs interns the strings of the v2 run lines (parseRun).
	strs map[string]string
}

// readV2 is a v2 run read: expanded, or its line until the layouts are read.
type readV2 struct {
	run  Run
	line *runLine
}

// read is a run as read, with the line it starts on.
type read[T any] struct {
	run  T
	line int
}

// decode reads a results file of either schema from r. Its errors name the
// line they are about: the run's, for what is wrong in a run.
func decode(name string, r io.Reader) (*File, error) {
	d := &decoder{s: &stream{r: r}, strs: map[string]string{}}
	f, err := d.file()
	if err != nil {
		if le := (*lineError)(nil); !errors.As(err, &le) {
			err = &lineError{line: d.s.line(), err: err}
		}
		return nil, fmt.Errorf("results %s: %w", name, err)
	}
	return f, nil
}

func (d *decoder) file() (*File, error) {
	s := d.s
	if err := s.expect('{', "an object"); err != nil {
		return nil, err
	}
	f := &File{Runs: []Run{}}
	layouts := map[string]*layout{}
	var v1 []read[Run]
	var v2 []read[readV2]
	seen := map[string]bool{}
	for first := true; ; first = false {
		if s.peek() == '}' {
			s.i++
			break
		}
		if !first {
			if err := s.expect(',', "a comma or the end of the object"); err != nil {
				return nil, err
			}
		}
		key, err := d.key()
		if err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, fmt.Errorf("field %q twice", key)
		}
		seen[key] = true
		if key != "schema" && f.Schema == "" {
			return nil, fmt.Errorf("field %q before the schema: the schema comes first", key)
		}
		switch key {
		case "schema":
			text, err := s.value()
			if err != nil {
				return nil, err
			}
			if err := json.Unmarshal(text, &f.Schema); err != nil {
				return nil, fmt.Errorf("schema: %w", err)
			}
			if f.Schema != Schema && f.Schema != SchemaV1 {
				return nil, fmt.Errorf("schema %q, want %q (or %q, which is migrated)", f.Schema, Schema, SchemaV1)
			}
		case "layouts":
			if f.Schema != Schema {
				return nil, fmt.Errorf("json: unknown field %q", key)
			}
			text, err := s.value()
			if err != nil {
				return nil, err
			}
			if err := readLayouts(text, layouts); err != nil {
				return nil, err
			}
		case "runs":
			if f.Schema == SchemaV1 {
				v1, err = runs(d, func(i int, text []byte) (Run, error) {
					var r Run
					if err := strictJSON(text, &r); err != nil {
						return r, fmt.Errorf("runs[%d]: %w", i, err)
					}
					return r, nil
				})
			} else {
				v2, err = runs(d, d.v2(seen, layouts))
			}
			if err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("json: unknown field %q", key)
		}
	}
	if !s.atEnd() {
		return nil, errors.New("trailing data after the JSON object")
	}
	if s.err != io.EOF {
		return nil, s.err
	}
	if f.Schema == "" {
		return nil, fmt.Errorf("no schema, want %q", Schema)
	}
	var lines []int // each run's
	for i, w := range v1 {
		if id := twice(w.run.Cells); id != "" {
			return nil, &lineError{w.line, fmt.Errorf("runs[%d] (pipeline %d): cell %s is listed twice in the run", i, w.run.Pipeline, id)}
		}
		f.Runs, lines = append(f.Runs, w.run), append(lines, w.line)
	}
	for i, w := range v2 {
		if w.run.line != nil {
			r, err := expand(w.run.line, layouts, &scratch{})
			if err != nil {
				return nil, &lineError{w.line, fmt.Errorf("runs[%d] (pipeline %d): %w", i, w.run.line.Pipeline, err)}
			}
			w.run.run = r
		}
		f.Runs, lines = append(f.Runs, w.run.run), append(lines, w.line)
	}
	for i := range f.Runs {
		if err := checkRun(i, &f.Runs[i]); err != nil {
			return nil, &lineError{lines[i], err}
		}
	}
	// The file read is the file written: Marshal writes Schema.
	f.Schema = Schema
	return f, nil
}

// v2 returns the parser of v2 runs: each is expanded as it is read, but
// for those read before the layouts (Marshal writes the layouts first).
func (d *decoder) v2(seen map[string]bool, layouts map[string]*layout) func(i int, text []byte) (readV2, error) {
	var tmp scratch
	var reuse runLine
	return func(i int, text []byte) (readV2, error) {
		w, err := parseRun(text, d.strs, &reuse)
		if err != nil {
			return readV2{}, fmt.Errorf("runs[%d]: %w", i, err)
		}
		if !seen["layouts"] {
			// The text and lists are reused for the next run.
			w.jobs, w.seconds = slices.Clone(w.jobs), slices.Clone(w.seconds)
			w.servers, w.details = slices.Clone(w.servers), slices.Clone(w.details)
			return readV2{line: &w}, nil
		}
		reuse = w
		r, err := expand(&w, layouts, &tmp)
		if err != nil {
			return readV2{}, fmt.Errorf("runs[%d] (pipeline %d): %w", i, w.Pipeline, err)
		}
		return readV2{run: r}, nil
	}
}

// key reads an object's field name and the colon after it.
func (d *decoder) key() (string, error) {
	if c := d.s.peek(); c != '"' {
		if d.s.atEnd() {
			return "", d.s.ended()
		}
		return "", fmt.Errorf("found %q, want a field name", c)
	}
	text, err := d.s.value()
	if err != nil {
		return "", err
	}
	key, err := (&lineParser{s: text, strs: d.strs}).rawString()
	if err != nil {
		return "", err
	}
	return key, d.s.expect(':', "a colon after "+strconv.Quote(key))
}

// readLayouts reads the layouts field's text into into.
func readLayouts(text []byte, into map[string]*layout) error {
	dec := json.NewDecoder(bytes.NewReader(text))
	t, err := dec.Token()
	if err != nil || t == nil {
		return err
	}
	if t != json.Delim('{') {
		return fmt.Errorf("layouts: found %v, want an object", t)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		var ids []string
		if err := dec.Decode(&ids); err != nil {
			return fmt.Errorf("layouts[%q]: %w", key, err)
		}
		seen := make(map[string]bool, len(ids))
		for _, id := range ids {
			if id == "" || seen[id] {
				return fmt.Errorf("layouts[%q]: cell %q empty or listed twice", key, id)
			}
			seen[id] = true
		}
		if got := layoutKey(ids); got != key {
			return fmt.Errorf("layouts[%q]: its cells hash to %q: a layout's key names exactly its cells", key, got)
		}
		into[key] = newLayout(ids)
	}
	_, err = dec.Token() // the closing brace: the text is one value
	return err
}

// runs reads the runs list one run at a time: each run's text is handed
// to parse with its index, good only until parse returns.
func runs[T any](d *decoder, parse func(i int, text []byte) (T, error)) ([]read[T], error) {
	out := []read[T]{}
	err := d.s.list("runs", func(i int) error {
		if d.s.atEnd() {
			return fmt.Errorf("runs[%d]: %w", i, d.s.ended())
		}
		line := d.s.line()
		text, err := d.s.value()
		if err != nil {
			return &lineError{line, fmt.Errorf("runs[%d]: %w", i, err)}
		}
		r, err := parse(i, text)
		if err != nil {
			return &lineError{line, err}
		}
		out = append(out, read[T]{r, line})
		return nil
	})
	return out, err
}

// layout is a list of cell ids as a results file names it, with what
// every run of it derives from the ids alone: worked out once per file, not
// once per run (a nightly history is 30 runs of one layout).
type layout struct {
	ids   []string
	kinds []string // cellid.KindOf each id
	// groups are the server-version groups of the ids (cellid.Group), in order
	// of first appearance, and their positions there; in is each id's
	// group, an index into groups.
	groups  []string
	groupAt map[string]int
	in      []int
	index   map[string]int // each id's position; built when details need it
}

func newLayout(ids []string) *layout {
	l := &layout{ids: ids, kinds: make([]string, len(ids)), in: make([]int, len(ids)), groupAt: map[string]int{}}
	for i, id := range ids {
		l.kinds[i] = cellid.KindOf(id)
		g := cellid.Group(id)
		k, ok := l.groupAt[g]
		if !ok {
			k = len(l.groups)
			l.groupAt[g] = k
			l.groups = append(l.groups, g)
		}
		l.in[i] = k
	}
	return l
}

// position returns the position of cell id in the layout.
func (l *layout) position(id string) (int, bool) {
	if l.index == nil {
		l.index = make(map[string]int, len(l.ids))
		for i, id := range l.ids {
			l.index[id] = i
		}
	}
	i, ok := l.index[id]
	return i, ok
}

// scratch is what expand needs only while it works, kept from run to run.
type scratch struct {
	servers []string
}

// expand turns a run line back into a Run.
func expand(w *runLine, layouts map[string]*layout, tmp *scratch) (Run, error) {
	r := Run{
		Pipeline: w.Pipeline, URL: w.URL, Source: w.Source, Ref: w.Ref, SHA: w.SHA,
		Counts: w.Counts, MR: w.MR, Local: w.Local, Partial: w.Partial, Incomplete: w.Incomplete,
		TestReport: w.TestReport, CreatedAt: w.CreatedAt, FinishedAt: w.FinishedAt,
		Cells: []CellResult{},
	}
	for _, in := range w.Infra {
		if in.JobURL == "" {
			in.JobURL = r.JobURL(in.JobID)
		}
		r.Infra = append(r.Infra, in)
	}
	if w.Layout == "" {
		if w.Status != "" || w.hasJobs || w.hasSeconds || w.hasServers || w.hasDetails {
			return r, errors.New("cell columns without a layout")
		}
		return r, nil
	}
	l, ok := layouts[w.Layout]
	if !ok {
		return r, fmt.Errorf("layout %q is not in layouts", w.Layout)
	}
	n := len(l.ids)
	if len(w.Status) != n {
		return r, fmt.Errorf("status has %d letters, layout %s has %d cells", len(w.Status), w.Layout, n)
	}
	if !w.hasJobs {
		return r, errors.New("jobs: want a list")
	}
	jobs, secs := w.jobs, w.seconds
	if len(jobs) != n {
		return r, fmt.Errorf("jobs has %d values, the layout has %d cells", len(jobs), n)
	}
	if !w.hasSeconds {
		secs = nil
	} else if len(secs) != n {
		return r, fmt.Errorf("seconds has %d values, the layout has %d cells", len(secs), n)
	}
	servers := append(tmp.servers[:0], make([]string, len(l.groups))...)
	tmp.servers = servers
	for _, s := range w.servers {
		if k, ok := l.groupAt[s.key]; ok {
			servers[k] = s.val
		}
	}
	r.Cells = make([]CellResult, n)
	for i, id := range l.ids {
		st := letterStatus[w.Status[i]]
		if st == "" {
			return r, fmt.Errorf("cell %s: unknown status letter %q, want one of %s", id, w.Status[i], letters())
		}
		c := &r.Cells[i]
		c.Cell, c.Kind, c.Status, c.JobID = id, l.kinds[i], st, jobs[i]
		if secs != nil {
			c.Duration = secs[i]
		}
		c.Attempts = defaultAttempts(c)
		if c.JobID != 0 {
			c.ServerVersion = servers[l.in[i]]
		}
	}
	setJobURLs(r.ProjectURL(), r.Cells)
	for _, kd := range w.details {
		id, d := kd.key, kd.val
		i, ok := l.position(id)
		if !ok {
			return r, fmt.Errorf("details for cell %s, which is not in layout %s", id, w.Layout)
		}
		c := &r.Cells[i]
		if d.Kind != "" {
			c.Kind = d.Kind
		}
		if d.Attempts != nil {
			c.Attempts = *d.Attempts
		}
		c.FailureReason, c.Reason = d.FailureReason, d.Reason
		if d.ServerVersion != nil {
			c.ServerVersion = *d.ServerVersion
		}
		if d.JobURL != nil {
			c.JobURL = *d.JobURL
		}
		c.Tests = storedTests(d.Tests)
		if d.Tests != nil && c.Tests == nil {
			return r, fmt.Errorf("cell %s: test counts without a failed or errored test are not stored", id)
		}
	}
	return r, nil
}

// setJobURLs sets the job URLs of a run's cells as Run.JobURL builds them,
// cut from one string of the exact size: a full history holds hundreds of
// thousands of them.
func setJobURLs(project string, cells []CellResult) {
	if project == "" {
		return
	}
	prefix := project + "/-/jobs/"
	size := 0
	for i := range cells {
		if id := cells[i].JobID; id != 0 {
			size += len(prefix) + decimals(id)
		}
	}
	var b strings.Builder
	b.Grow(size)
	var num [20]byte
	for i := range cells {
		if id := cells[i].JobID; id != 0 {
			b.WriteString(prefix)
			b.Write(strconv.AppendInt(num[:0], id, 10))
		}
	}
	all, start := b.String(), 0
	for i := range cells {
		if id := cells[i].JobID; id != 0 {
			end := start + len(prefix) + decimals(id)
			cells[i].JobURL, start = all[start:end], end
		}
	}
}

// decimals is the number of digits of a positive id in base 10.
func decimals(id int64) int {
	n := 1
	for ; id >= 10; id /= 10 {
		n++
	}
	return n
}

func letters() string {
	var b strings.Builder
	for _, s := range Statuses {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%c (%s)", StatusLetters[s], s)
	}
	return b.String()
}

var comma = []byte{','}

// column calls each with the values of a column, a JSON list of numbers
// (or null), in order.
func column(name string, raw []byte, each func(i int, v []byte) error) error {
	s := trimSpace(raw)
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return fmt.Errorf("%s: want a list", name)
	}
	inner := trimSpace(s[1 : len(s)-1])
	for i := 0; len(inner) > 0; i++ {
		v, rest, more := bytes.Cut(inner, comma)
		if v = trimSpace(v); !jsonNumber(v) && string(v) != "null" {
			return fmt.Errorf("%s[%d]: %q is not a JSON number", name, i, v)
		}
		if err := each(i, v); err != nil {
			return err
		}
		if inner = rest; more && len(inner) == 0 {
			return fmt.Errorf("%s[%d]: nothing after the comma", name, i+1)
		}
	}
	return nil
}

// smallInt reads v when it is an integer of at most 15 digits, with an
// optional minus sign: the values of a column but for odd spellings, read
// without strconv's copy of each. Such a value is exact as a float64 too.
func smallInt(v []byte) (int64, bool) {
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	if len(v) == 0 || len(v) > 15 {
		return 0, false
	}
	var k int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		k = k*10 + int64(c-'0')
	}
	if neg {
		k = -k
	}
	return k, true
}

// parseSeconds reads the seconds column: durations in whole seconds,
// appended to out.
func parseSeconds(raw []byte, out []float64) ([]float64, error) {
	err := column("seconds", raw, func(i int, v []byte) error {
		if k, ok := smallInt(v); ok {
			out = append(out, float64(k))
			return nil
		}
		d, err := strconv.ParseFloat(string(v), 64)
		if err != nil || d != seconds(d) || math.IsInf(d, 0) {
			return fmt.Errorf("seconds[%d]: %q is not a whole number of seconds", i, v)
		}
		out = append(out, d)
		return nil
	})
	return out, err
}

// parseJobs reads the jobs column: values each a step from the previous
// cell's job id (the first from 0), or null for a cell without a job (0);
// appended to out.
func parseJobs(raw []byte, out []int64) ([]int64, error) {
	var prev int64
	err := column("jobs", raw, func(i int, f []byte) error {
		if string(f) == "null" {
			out = append(out, 0)
			return nil
		}
		step, ok := smallInt(f)
		var err error
		if !ok {
			step, err = strconv.ParseInt(string(f), 10, 64)
		}
		if err != nil {
			return fmt.Errorf("jobs[%d]: %q is not a step between job ids", i, f)
		}
		id := prev + step
		if (step > 0 && id < prev) || (step < 0 && id > prev) || id <= 0 {
			return fmt.Errorf("jobs[%d]: step %d gives job id %d, not a positive id", i, step, id)
		}
		out, prev = append(out, id), id
		return nil
	})
	return out, err
}
