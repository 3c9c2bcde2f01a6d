package kube

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"go.yaml.in/yaml/v3"
)

// Sync brings the matrix file's kubernetes.versions up to date with the
// embedded catalog on day today; see Catalog.Sync.
func Sync(file string, data []byte, m *matrix.Matrix, today time.Time) (out []byte, changes []string, err error) {
	return Default().Sync(file, data, m, today)
}

// Sync rewrites the Kubernetes minors of data, the bytes of the matrix file
// that m was loaded from, to match the calendars on day today:
//
//   - kubernetes.versions: it adds every minor supported upstream that the
//     list lacks and fills every gap between listed minors (clusters
//     upgrade one minor at a time), and drops every minor past its upstream
//     end of life that neither a current kubernetes.extended reason nor the
//     lifecycle of a distribution offering it still supports; an extended
//     entry whose dates have all passed is removed;
//   - distributions.*.kubernetes of each distribution naming a lifecycle:
//     the range drops the minors its vendor no longer offers and takes in
//     the listed minors the vendor offers in standard support;
//   - distributions.*.release_names of a vendor that names its releases
//     (OpenShift): the names of the minors the range now offers.
//
// Minors the catalogs do not know are kept. Only the edited values change:
// the rest of the file, comments, key order, quoting and each list's own
// style stay byte for byte. A dropped block item or entry loses its lines,
// including their comments; comment lines around them stay. New items are
// quoted like the existing ones. m may come from matrix.ParseToRepair: a
// file whose upgrade path skips a minor is repaired, not refused.
//
// Sync returns the new bytes and one line per change; when nothing changes,
// out is data and changes is empty. The result is checked before it is
// returned: it must parse as a valid matrix holding the intended minors,
// ranges and names, with its other content unchanged.
func (c *Catalog) Sync(file string, data []byte, m *matrix.Matrix, today time.Time) (out []byte, changes []string, err error) {
	today = day(today)
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("sync %s: %w", file, err)
	}
	seq, err := versionsNode(&doc)
	if err != nil {
		return nil, nil, fmt.Errorf("sync %s: %w", file, err)
	}
	items := make([]item, len(seq.Content))
	for i, n := range seq.Content {
		if n.Kind != yaml.ScalarNode {
			return nil, nil, fmt.Errorf("sync %s:%d:%d: kubernetes.versions[%d] is not a minor such as \"1.35\"", file, n.Line, n.Column, i)
		}
		v, err := ParseMinor(n.Value)
		if err != nil {
			return nil, nil, fmt.Errorf("sync %s:%d:%d: kubernetes.versions[%d]: %w", file, n.Line, n.Column, i, err)
		}
		items[i] = item{node: n, minor: v}
	}

	// Decide what goes and what comes.
	expired := map[string]bool{} // extended entries whose dates have all passed
	for _, e := range m.Kubernetes.Extended {
		if until := reasonUntil(e.Reason); !until.IsZero() && !today.Before(until) {
			expired[e.Minor.String()] = true
			changes = append(changes, fmt.Sprintf("remove kubernetes.extended.%s: its reason ran out on %s", e.Minor, FormatDate(until)))
		}
	}
	kept := func(v matrix.Minor) bool { return c.keptBecause(m, v, today, true) != "" }
	var want []matrix.Minor
	for i := range items {
		v := items[i].minor
		if st, _, _ := c.status(v, today); st == StatusEOL && !kept(v) {
			items[i].drop = true
			continue
		}
		want = append(want, v)
	}
	for _, r := range c.Supported(today) {
		if !listed(items, r.Minor) {
			want = append(want, r.Minor)
		}
	}
	want = sortedMinors(want)
	// Never leave a gap: a dropped minor between kept ones stays, a
	// missing one is added.
	for i := range items {
		if items[i].drop && len(want) > 0 && want[0].Less(items[i].minor) && items[i].minor.Less(want[len(want)-1]) {
			items[i].drop = false
			want = sortedMinors(append(want, items[i].minor))
		}
	}
	want = fillGaps(want)
	var adds []matrix.Minor
	for i := range items {
		if items[i].drop {
			_, r, known := c.status(items[i].minor, today)
			changes = append(changes, fmt.Sprintf("drop Kubernetes %s: end of life %s, and no named lifecycle supports it", items[i].minor, eolPhrase(r, known)))
		}
	}
	for _, v := range want {
		if listed(items, v) {
			continue
		}
		adds = append(adds, v)
		if r, ok := c.Lookup(v); ok && r.Status(today) == StatusSupported {
			changes = append(changes, fmt.Sprintf("add Kubernetes %s: released %s, supported until %s", v, FormatDate(r.Released), FormatDate(r.EOL)))
		} else {
			changes = append(changes, fmt.Sprintf("add Kubernetes %s: fills the gap in kubernetes.versions (clusters upgrade one minor at a time)", v))
		}
	}

	dists, err := c.planDistributions(file, &doc, m, want, today)
	if err != nil {
		return nil, nil, fmt.Errorf("sync %s: %w", file, err)
	}
	for _, d := range dists {
		changes = append(changes, d.changes...)
	}
	if len(changes) == 0 {
		return data, nil, nil
	}

	src := newSource(data)
	var edits []edit
	if len(adds) > 0 || anyDropped(items) {
		var ves []edit
		if seq.Style&yaml.FlowStyle != 0 {
			ves, err = src.flowEdits(seq, items, adds)
		} else {
			ves, err = src.blockEdits(items, adds)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("sync %s: kubernetes.versions: %w", file, err)
		}
		edits = append(edits, ves...)
	}
	if len(expired) > 0 {
		ees, err := src.extendedEdits(&doc, expired)
		if err != nil {
			return nil, nil, fmt.Errorf("sync %s: kubernetes.extended: %w", file, err)
		}
		edits = append(edits, ees...)
	}
	for _, d := range dists {
		des, err := src.distributionEdits(d)
		if err != nil {
			return nil, nil, fmt.Errorf("sync %s: distributions.%s: %w", file, d.id, err)
		}
		edits = append(edits, des...)
	}
	out = apply(data, edits)
	if err := verify(file, data, out, syncPlan{versions: want, expired: expired, dists: dists}); err != nil {
		return nil, nil, fmt.Errorf("sync %s: %w", file, err)
	}
	return out, changes, nil
}

func anyDropped(items []item) bool {
	for _, it := range items {
		if it.drop {
			return true
		}
	}
	return false
}

// fillGaps returns the minors from the first to the last of vs (ascending),
// every minor in between included, within each major version.
func fillGaps(vs []matrix.Minor) []matrix.Minor {
	var out []matrix.Minor
	for i, v := range vs {
		if i > 0 && v.Major == vs[i-1].Major {
			for n := vs[i-1].Minor + 1; n < v.Minor; n++ {
				out = append(out, matrix.NewMinor(v.Major, n))
			}
		}
		out = append(out, v)
	}
	return out
}

// item is one entry of kubernetes.versions as written.
type item struct {
	node  *yaml.Node
	minor matrix.Minor
	drop  bool
}

func listed(items []item, v matrix.Minor) bool {
	for _, it := range items {
		if it.minor.Equal(v) {
			return true
		}
	}
	return false
}

// versionsNode finds the kubernetes.versions sequence of a parsed document.
func versionsNode(doc *yaml.Node) (*yaml.Node, error) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the file is not a YAML mapping")
	}
	k := mapValue(doc.Content[0], "kubernetes")
	if k == nil || k.Kind != yaml.MappingNode {
		return nil, errors.New("no kubernetes section to edit")
	}
	v := mapValue(k, "versions")
	switch {
	case v == nil:
		return nil, errors.New("no kubernetes.versions list to edit")
	case v.Kind == yaml.AliasNode || v.Anchor != "":
		return nil, fmt.Errorf("%d:%d: kubernetes.versions is an anchor or alias; write the list in place to let sync edit it", v.Line, v.Column)
	case v.Kind != yaml.SequenceNode:
		return nil, fmt.Errorf("%d:%d: kubernetes.versions is not a list", v.Line, v.Column)
	}
	return v, nil
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// source indexes a file's lines to turn yaml.v3 line/column marks (1-based,
// columns counted in characters) into byte offsets.
type source struct {
	data  []byte
	lines []int // byte offset of each line's start; lines[0] is line 1
}

func newSource(data []byte) *source {
	s := &source{data: data, lines: []int{0}}
	for i, b := range data {
		if b == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	return s
}

// offset returns the byte offset of a node's first character.
func (s *source) offset(n *yaml.Node) (int, error) {
	if n.Line < 1 || n.Line > len(s.lines) || n.Column < 1 {
		return 0, fmt.Errorf("%d:%d: position outside the file", n.Line, n.Column)
	}
	off := s.lines[n.Line-1]
	for col := 1; col < n.Column; col++ {
		if off >= len(s.data) || s.data[off] == '\n' {
			return 0, fmt.Errorf("%d:%d: position outside the line", n.Line, n.Column)
		}
		_, size := utf8.DecodeRune(s.data[off:])
		off += size
	}
	return off, nil
}

// lineEnd returns the offset just past the end of the line holding off,
// newline included.
func (s *source) lineEnd(off int) int {
	if i := bytes.IndexByte(s.data[off:], '\n'); i >= 0 {
		return off + i + 1
	}
	return len(s.data)
}

func (s *source) lineStart(off int) int {
	return bytes.LastIndexByte(s.data[:off], '\n') + 1
}

// scalarEnd returns the offset just past a scalar that starts at off, in a
// flow list (where ',' and ']' end a plain scalar) or not.
func (s *source) scalarEnd(n *yaml.Node, off int, flow bool) (int, error) {
	d := s.data
	if off >= len(d) {
		return 0, fmt.Errorf("%d:%d: position outside the file", n.Line, n.Column)
	}
	if n.Anchor != "" || (n.Style&yaml.DoubleQuotedStyle != 0 && d[off] != '"') || (n.Style&yaml.SingleQuotedStyle != 0 && d[off] != '\'') {
		return 0, fmt.Errorf("%d:%d: an item with an anchor or tag cannot be edited; write the minor as \"1.35\"", n.Line, n.Column)
	}
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		for i := off + 1; i < len(d); i++ {
			switch d[i] {
			case '\\':
				i++
			case '"':
				return i + 1, nil
			}
		}
	case n.Style&yaml.SingleQuotedStyle != 0:
		for i := off + 1; i < len(d); i++ {
			if d[i] == '\'' {
				if i+1 < len(d) && d[i+1] == '\'' {
					i++
					continue
				}
				return i + 1, nil
			}
		}
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return 0, fmt.Errorf("%d:%d: a block scalar cannot be edited; write the minor as \"1.35\"", n.Line, n.Column)
	default:
		end := off
		for i := off; i < len(d); i++ {
			c := d[i]
			if c == '\n' || c == '\r' || (flow && (c == ',' || c == ']')) {
				break
			}
			if c == '#' && i > off && (d[i-1] == ' ' || d[i-1] == '\t') {
				break
			}
			if c != ' ' && c != '\t' {
				end = i + 1
			}
		}
		return end, nil
	}
	return 0, fmt.Errorf("%d:%d: unterminated quoted scalar", n.Line, n.Column)
}

// edit replaces data[start:end] with text; edits at the same offset apply
// in the order they were made.
type edit struct {
	start, end int
	text       string
}

func apply(data []byte, edits []edit) []byte {
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var b bytes.Buffer
	at := 0
	for _, e := range edits {
		b.Write(data[at:e.start])
		b.WriteString(e.text)
		at = e.end
	}
	b.Write(data[at:])
	return b.Bytes()
}

// render writes a new minor quoted like the list's existing items.
func render(v matrix.Minor, items []item) string {
	style := yaml.DoubleQuotedStyle
	if len(items) > 0 {
		style = items[0].node.Style
	}
	switch {
	case style&yaml.DoubleQuotedStyle != 0:
		return `"` + v.String() + `"`
	case style&yaml.SingleQuotedStyle != 0:
		return `'` + v.String() + `'`
	default:
		return v.String()
	}
}

// blockEdits edits a block list ("- " lines): a dropped item loses its
// line, a new item gets a line after the nearest older item (or before the
// first item), indented like it.
func (s *source) blockEdits(items []item, adds []matrix.Minor) ([]edit, error) {
	type span struct{ lineStart, lineEnd int }
	spans := make([]span, len(items))
	prefix := make([]string, len(items))
	for i, it := range items {
		off, err := s.offset(it.node)
		if err != nil {
			return nil, err
		}
		end, err := s.scalarEnd(it.node, off, false)
		if err != nil {
			return nil, err
		}
		ls, le := s.lineStart(off), s.lineEnd(off)
		prefix[i] = string(s.data[ls:off])
		dashOnly := strings.Trim(prefix[i], " \t") == "-"
		spaced := strings.HasSuffix(prefix[i], " ") || strings.HasSuffix(prefix[i], "\t")
		if !dashOnly || !spaced {
			return nil, fmt.Errorf("%d:%d: the item does not start its own \"- \" line; write one minor a line to let sync edit the list", it.node.Line, it.node.Column)
		}
		if rest := strings.TrimLeft(string(s.data[end:le]), " \t"); rest != "" && rest[0] != '#' && rest[0] != '\n' && rest[0] != '\r' {
			return nil, fmt.Errorf("%d:%d: the item shares its line with other content; write one minor a line to let sync edit the list", it.node.Line, it.node.Column)
		}
		spans[i] = span{ls, le}
	}
	var edits []edit
	for i, it := range items {
		if it.drop {
			edits = append(edits, edit{start: spans[i].lineStart, end: spans[i].lineEnd})
		}
	}
	for _, a := range adds {
		anchor := -1
		for i, it := range items {
			if it.minor.Less(a) {
				anchor = i
			}
		}
		if anchor < 0 {
			at := spans[0].lineStart
			edits = append(edits, edit{start: at, end: at, text: prefix[0] + render(a, items) + newline(s.data, spans[0].lineEnd)})
			continue
		}
		at := spans[anchor].lineEnd
		text := prefix[anchor] + render(a, items) + newline(s.data, at)
		if at == len(s.data) && (at == 0 || s.data[at-1] != '\n') {
			text = "\n" + strings.TrimSuffix(text, "\n")
		}
		edits = append(edits, edit{start: at, end: at, text: text})
	}
	// Adds after the same anchor were appended in ascending order and keep
	// it through apply's stable sort.
	return edits, nil
}

// newline returns the line ending used by the line that ends at lineEnd.
func newline(data []byte, lineEnd int) string {
	if lineEnd >= 2 && data[lineEnd-1] == '\n' && data[lineEnd-2] == '\r' {
		return "\r\n"
	}
	return "\n"
}

// flowEdits rewrites a one-line flow list ["1.33", "1.34"] between its
// brackets: kept items keep their text, new ones are quoted like them, and
// the separator is the one the list uses.
func (s *source) flowEdits(seq *yaml.Node, items []item, adds []matrix.Minor) ([]edit, error) {
	open, err := s.offset(seq)
	if err != nil {
		return nil, err
	}
	if open >= len(s.data) || s.data[open] != '[' {
		return nil, fmt.Errorf("%d:%d: expected '[' at the start of the flow list", seq.Line, seq.Column)
	}
	texts := make([]string, len(items))
	sep := ", "
	prevEnd := open + 1
	for i, it := range items {
		off, err := s.offset(it.node)
		if err != nil {
			return nil, err
		}
		end, err := s.scalarEnd(it.node, off, true)
		if err != nil {
			return nil, err
		}
		texts[i] = string(s.data[off:end])
		if i == 1 {
			sep = string(s.data[prevEnd:off])
		}
		prevEnd = end
	}
	closing := -1
	for i := prevEnd; i < len(s.data); i++ {
		if s.data[i] == ']' {
			closing = i
			break
		}
		if s.data[i] != ' ' && s.data[i] != '\t' && s.data[i] != ',' {
			break
		}
	}
	if closing < 0 {
		return nil, fmt.Errorf("%d:%d: cannot find the flow list's closing ']'", seq.Line, seq.Column)
	}
	if bytes.ContainsAny(s.data[open:closing], "\n#") || strings.Count(sep, ",") != 1 {
		return nil, fmt.Errorf("%d:%d: the flow list spans several lines or holds comments; write it on one line, or as a block of \"- \" lines, to let sync edit it", seq.Line, seq.Column)
	}
	// Leading and trailing space inside the brackets stays as written.
	inner := string(s.data[open+1 : closing])
	lead := inner[:len(inner)-len(strings.TrimLeft(inner, " \t"))]
	trail := inner[len(strings.TrimRight(inner, " \t,")):]

	var out []string
	next := 0
	for i, it := range items {
		for next < len(adds) && adds[next].Less(it.minor) {
			out = append(out, render(adds[next], items))
			next++
		}
		if !it.drop {
			out = append(out, texts[i])
		}
	}
	for ; next < len(adds); next++ {
		out = append(out, render(adds[next], items))
	}
	if len(out) == 0 {
		lead, trail = "", ""
	}
	return []edit{{start: open + 1, end: closing, text: lead + strings.Join(out, sep) + trail}}, nil
}

// plain reduces a node tree to its data, without positions, styles or
// comments, for comparison.
func plain(n *yaml.Node) any {
	switch n.Kind {
	case yaml.DocumentNode:
		return []any{"doc", plainAll(n.Content)}
	case yaml.SequenceNode:
		return []any{"seq", n.Tag, plainAll(n.Content)}
	case yaml.MappingNode:
		return []any{"map", n.Tag, plainAll(n.Content)}
	case yaml.AliasNode:
		return []any{"alias", n.Value}
	default:
		return []any{"scalar", n.Tag, n.Value, n.Anchor}
	}
}

func plainAll(ns []*yaml.Node) []any {
	out := make([]any, len(ns))
	for i, n := range ns {
		out[i] = plain(n)
	}
	return out
}
