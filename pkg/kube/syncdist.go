package kube

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"go.yaml.in/yaml/v3"
)

// distPlan is what Sync changes in one distribution.
type distPlan struct {
	id   string
	node *yaml.Node // the distribution's mapping
	// rangeText is the new kubernetes range, or "" to leave it.
	rangeText string
	offers    []matrix.Minor // the minors the range offers afterwards
	// addNames and dropNames edit release_names (minor -> name).
	addNames  []releaseName
	dropNames []matrix.Minor
	names     map[string]string // release_names afterwards, when edited
	changes   []string
}

type releaseName struct {
	minor matrix.Minor
	name  string
}

// syncPlan is everything Sync intends, for verify.
type syncPlan struct {
	versions []matrix.Minor
	expired  map[string]bool
	dists    []*distPlan
}

// planDistributions decides, for each distribution naming a lifecycle, the
// range and release names it gets once kubernetes.versions is want.
func (c *Catalog) planDistributions(file string, doc *yaml.Node, m *matrix.Matrix, want []matrix.Minor, today time.Time) ([]*distPlan, error) {
	var out []*distPlan
	for _, d := range m.Distributions {
		p := c.Product(d)
		if p == nil {
			continue
		}
		window := func(v matrix.Minor) Window { w, _ := c.Window(d, v, today); return w }
		var offers []matrix.Minor
		var added, dropped []string
		for _, v := range want {
			w := window(v)
			switch {
			case d.Offers(v) && w.Phase == PhaseEnded:
				dropped = append(dropped, fmt.Sprintf("%s (%s ended %s)", v, endLabel(w), FormatDate(w.End())))
			case d.Offers(v):
				offers = append(offers, v)
			case w.Phase == PhaseStandard:
				offers = append(offers, v)
				added = append(added, fmt.Sprintf("%s (%s since %s)", v, vendorName(w), FormatDate(w.Available)))
			}
		}
		if len(offers) == 0 {
			continue // nothing left to offer: the check says so; a range cannot
		}
		// Never skip a minor inside the range.
		offers = between(want, offers[0], offers[len(offers)-1])
		dp := &distPlan{id: d.ID, offers: offers}
		changed := false
		for _, v := range want {
			if d.Offers(v) != contains(offers, v) {
				changed = true
			}
		}
		if changed {
			dp.rangeText = rangeText(want, offers)
			was := "every minor"
			if d.Kubernetes != nil {
				was = fmt.Sprintf("%q", d.Kubernetes.Text)
			}
			var why []string
			if len(dropped) > 0 {
				why = append(why, "drops "+strings.Join(dropped, ", "))
			}
			if len(added) > 0 {
				why = append(why, "adds "+strings.Join(added, ", "))
			}
			if len(why) == 0 {
				why = append(why, "follows kubernetes.versions")
			}
			dp.changes = append(dp.changes, fmt.Sprintf("distributions.%s.kubernetes: %q (was %s): %s, %s", d.ID, dp.rangeText, was, p.Name, strings.Join(why, "; ")))
		}
		if p.Naming == "release" {
			dp.names = map[string]string{}
			for _, r := range d.ReleaseNames {
				if contains(offers, r.Minor) {
					dp.names[r.Minor.String()] = r.Name
					continue
				}
				why := "not in kubernetes.versions"
				if contains(want, r.Minor) {
					why = "not offered"
				}
				dp.dropNames = append(dp.dropNames, r.Minor)
				dp.changes = append(dp.changes, fmt.Sprintf("distributions.%s.release_names: remove %s (%s), %s", d.ID, r.Minor, r.Name, why))
			}
			for _, v := range offers {
				w := window(v)
				if w.Release == "" || d.ReleaseName(v) != "" {
					continue
				}
				dp.addNames = append(dp.addNames, releaseName{v, w.Release})
				dp.names[v.String()] = w.Release
				dp.changes = append(dp.changes, fmt.Sprintf("distributions.%s.release_names: add %s: %s %s", d.ID, v, p.Name, w.Release))
			}
		}
		if len(dp.changes) == 0 {
			continue
		}
		if dp.node = distNode(doc, d.ID); dp.node == nil {
			return nil, fmt.Errorf("distributions.%s: not found in the file", d.ID)
		}
		out = append(out, dp)
	}
	return out, nil
}

func vendorName(w Window) string {
	if w.Release != "" {
		return w.Product.Name + " " + w.Release
	}
	return w.Product.Name
}

func contains(vs []matrix.Minor, v matrix.Minor) bool {
	for _, x := range vs {
		if x.Equal(v) {
			return true
		}
	}
	return false
}

// between returns the minors of list from lo to hi, both included.
func between(list []matrix.Minor, lo, hi matrix.Minor) []matrix.Minor {
	var out []matrix.Minor
	for _, v := range list {
		if !v.Less(lo) && !hi.Less(v) {
			out = append(out, v)
		}
	}
	return out
}

// rangeText writes the constraint that allows exactly offers (a run of
// list) among list: ">= 1.35" up to the newest listed minor, ">= 1.33,
// < 1.37" when it stops before.
func rangeText(list, offers []matrix.Minor) string {
	lo, hi := offers[0], offers[len(offers)-1]
	if hi.Equal(list[len(list)-1]) {
		return ">= " + lo.String()
	}
	return fmt.Sprintf(">= %s, < %d.%d", lo, hi.Major, hi.Minor+1)
}

// distNode returns the mapping of distributions.<id> in a parsed file.
func distNode(doc *yaml.Node, id string) *yaml.Node {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil
	}
	ds := mapValue(doc.Content[0], "distributions")
	if ds == nil || ds.Kind != yaml.MappingNode {
		return nil
	}
	return mapValue(ds, id)
}

func mapKey(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i]
		}
	}
	return nil
}

// quote writes s as a YAML scalar in the style of like: single quotes when
// like is single-quoted, double quotes otherwise.
func quote(s string, like *yaml.Node) string {
	if like != nil && like.Style&yaml.SingleQuotedStyle != 0 {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	q, _ := yaml.Marshal(s)
	if t := strings.TrimSpace(string(q)); strings.HasPrefix(t, `"`) {
		return t
	}
	return `"` + s + `"`
}

// singleLine checks that a mapping entry sits on its key's line, so that
// editing or dropping that line edits exactly the entry.
func (s *source) singleLine(k, v *yaml.Node) error {
	if v.Kind != yaml.ScalarNode || v.Line != k.Line || v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || v.Anchor != "" || v.Alias != nil {
		return fmt.Errorf("%d:%d: write %s and its value on one line to let sync edit it", k.Line, k.Column, k.Value)
	}
	return nil
}

// distributionEdits turns one distribution's plan into edits.
func (s *source) distributionEdits(d *distPlan) ([]edit, error) {
	n := d.node
	if n.Kind != yaml.MappingNode || n.Style&yaml.FlowStyle != 0 {
		return nil, fmt.Errorf("%d:%d: write the distribution as a block mapping (one key a line) to let sync edit it", n.Line, n.Column)
	}
	// New keys go after the tier line (the order of the format reference:
	// name, tier, kubernetes, release_names, ...), or after name.
	after := mapKey(n, "tier")
	if after == nil || s.singleLine(after, mapValue(n, "tier")) != nil {
		after = mapKey(n, "name")
	}
	if after == nil || s.singleLine(after, mapValue(n, after.Value)) != nil {
		return nil, fmt.Errorf("%d:%d: the distribution needs a one-line name or tier to place new keys after", n.Line, n.Column)
	}
	indent := strings.Repeat(" ", after.Column-1)
	var edits []edit
	if d.rangeText != "" {
		if k := mapKey(n, "kubernetes"); k != nil {
			v := mapValue(n, "kubernetes")
			if err := s.singleLine(k, v); err != nil {
				return nil, err
			}
			off, err := s.offset(v)
			if err != nil {
				return nil, err
			}
			end, err := s.scalarEnd(v, off, false)
			if err != nil {
				return nil, err
			}
			edits = append(edits, edit{start: off, end: end, text: quote(d.rangeText, v)})
			after = k
		} else {
			at, err := s.afterLine(after)
			if err != nil {
				return nil, err
			}
			edits = append(edits, edit{start: at, end: at, text: indent + "kubernetes: " + quote(d.rangeText, nil) + newline(s.data, at)})
		}
	} else if k := mapKey(n, "kubernetes"); k != nil && s.singleLine(k, mapValue(n, "kubernetes")) == nil {
		after = k
	}
	if len(d.addNames) == 0 && len(d.dropNames) == 0 {
		return edits, nil
	}
	rn := mapValue(n, "release_names")
	if rn == nil || isNullNode(rn) {
		at, err := s.afterLine(after)
		if err != nil {
			return nil, err
		}
		nl := newline(s.data, at)
		text := indent + "release_names:" + nl
		if rn != nil {
			// An empty release_names: key is replaced by the block.
			k := mapKey(n, "release_names")
			off, _ := s.offset(k)
			at = s.lineStart(off)
			edits = append(edits, edit{start: at, end: s.lineEnd(off)})
		}
		for _, a := range d.addNames {
			text += indent + "  " + quote(a.minor.String(), nil) + ": " + quote(a.name, nil) + nl
		}
		return append(edits, edit{start: at, end: at, text: text}), nil
	}
	if rn.Kind != yaml.MappingNode || rn.Style&yaml.FlowStyle != 0 || len(rn.Content) == 0 {
		return nil, fmt.Errorf("%d:%d: write release_names as a block mapping (one minor a line) to let sync edit it", rn.Line, rn.Column)
	}
	type entry struct {
		minor      matrix.Minor
		k, v       *yaml.Node
		start, end int
	}
	var entries []entry
	for i := 0; i+1 < len(rn.Content); i += 2 {
		k, v := rn.Content[i], rn.Content[i+1]
		if err := s.singleLine(k, v); err != nil {
			return nil, err
		}
		mv, err := ParseMinor(k.Value)
		if err != nil {
			return nil, fmt.Errorf("%d:%d: %w", k.Line, k.Column, err)
		}
		off, err := s.offset(k)
		if err != nil {
			return nil, err
		}
		entries = append(entries, entry{mv, k, v, s.lineStart(off), s.lineEnd(off)})
	}
	for _, dm := range d.dropNames {
		for _, e := range entries {
			if e.minor.Equal(dm) {
				edits = append(edits, edit{start: e.start, end: e.end})
			}
		}
	}
	first := entries[0]
	firstOff, err := s.offset(first.k)
	if err != nil {
		return nil, err
	}
	prefix := string(s.data[first.start:firstOff])
	for _, a := range d.addNames {
		anchor := -1
		for i, e := range entries {
			if e.minor.Less(a.minor) {
				anchor = i
			}
		}
		at := first.start
		if anchor >= 0 {
			at = entries[anchor].end
		}
		text := prefix + quote(a.minor.String(), first.k) + ": " + quote(a.name, first.v) + newline(s.data, entries[max(anchor, 0)].end)
		if at == len(s.data) && (at == 0 || s.data[at-1] != '\n') {
			text = "\n" + strings.TrimRight(text, "\r\n")
		}
		edits = append(edits, edit{start: at, end: at, text: text})
	}
	return edits, nil
}

// afterLine returns the offset just past the line of node k.
func (s *source) afterLine(k *yaml.Node) (int, error) {
	off, err := s.offset(k)
	if err != nil {
		return 0, err
	}
	return s.lineEnd(off), nil
}

func isNullNode(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// extendedEdits removes the kubernetes.extended entries named in drop,
// each with its value's lines; the whole key goes when every entry does.
func (s *source) extendedEdits(doc *yaml.Node, drop map[string]bool) ([]edit, error) {
	k := mapValue(doc.Content[0], "kubernetes")
	ext := mapValue(k, "extended")
	if ext == nil {
		return nil, nil
	}
	if ext.Kind != yaml.MappingNode || ext.Style&yaml.FlowStyle != 0 {
		return nil, fmt.Errorf("%d:%d: write kubernetes.extended as a block mapping to let sync remove an entry", ext.Line, ext.Column)
	}
	var edits []edit
	all := true
	firstStart, lastEnd := -1, -1
	for i := 0; i+1 < len(ext.Content); i += 2 {
		key := ext.Content[i]
		start, end, err := s.entryLines(ext, i)
		if err != nil {
			return nil, err
		}
		if firstStart < 0 {
			firstStart = start
		}
		lastEnd = end
		if v, err := ParseMinor(key.Value); err == nil && drop[v.String()] {
			edits = append(edits, edit{start: start, end: end})
		} else {
			all = false
		}
	}
	if all && firstStart >= 0 {
		extKey := mapKey(k, "extended")
		off, err := s.offset(extKey)
		if err != nil {
			return nil, err
		}
		return []edit{{start: s.lineStart(off), end: lastEnd}}, nil
	}
	return edits, nil
}

// entryLines returns the byte span of the lines of mapping entry i (its
// key's line up to the next key's line, or for the last entry up to the
// first line indented no deeper than the key), for a block mapping.
func (s *source) entryLines(m *yaml.Node, i int) (int, int, error) {
	key := m.Content[i]
	off, err := s.offset(key)
	if err != nil {
		return 0, 0, err
	}
	if s.lineStart(off) != off-(key.Column-1) {
		return 0, 0, fmt.Errorf("%d:%d: the entry does not start its own line", key.Line, key.Column)
	}
	start := s.lineStart(off)
	if i+2 < len(m.Content) {
		next, err := s.offset(m.Content[i+2])
		if err != nil {
			return 0, 0, err
		}
		return start, s.lineStart(next), nil
	}
	end := s.lineEnd(off)
	for end < len(s.data) {
		le := s.lineEnd(end)
		line := string(s.data[end:le])
		trimmed := strings.TrimLeft(line, " ")
		if strings.TrimSpace(line) != "" && len(line)-len(trimmed) < key.Column {
			break
		}
		end = le
	}
	return start, end, nil
}

// verify checks an edited file: it must load as a valid matrix holding
// exactly the planned minors, ranges, release names and extended entries,
// and everything Sync did not plan to edit must decode as before.
func verify(file string, before, after []byte, plan syncPlan) error {
	var a, b yaml.Node
	if err := yaml.Unmarshal(before, &a); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if err := yaml.Unmarshal(after, &b); err != nil {
		return fmt.Errorf("verify the edited file: %w", err)
	}
	for _, doc := range []*yaml.Node{&a, &b} {
		seq, err := versionsNode(doc)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		seq.Content = nil
		k := mapValue(doc.Content[0], "kubernetes")
		if ext := mapValue(k, "extended"); ext != nil && ext.Kind == yaml.MappingNode {
			var keep []*yaml.Node
			for i := 0; i+1 < len(ext.Content); i += 2 {
				if v, err := ParseMinor(ext.Content[i].Value); err != nil || !plan.expired[v.String()] {
					keep = append(keep, ext.Content[i], ext.Content[i+1])
				}
			}
			ext.Content = keep
			if len(keep) == 0 {
				dropKey(k, "extended")
			}
		}
		for _, d := range plan.dists {
			n := distNode(doc, d.id)
			if n == nil {
				return errors.New("verify the edited file: a distribution went missing")
			}
			dropKey(n, "kubernetes")
			if d.names != nil {
				dropKey(n, "release_names")
			}
		}
	}
	if !reflect.DeepEqual(plain(&a), plain(&b)) {
		return errors.New("verify the edited file: content outside the synced minors changed")
	}
	m, err := matrix.Parse(file, after)
	if err != nil {
		return fmt.Errorf("the edited file would not be a valid matrix, so nothing is written (sync edits the minors only: declare the ended minor in kubernetes.extended, name the distribution's lifecycle, or edit the file by hand); positions are in the edited file:\n%w", err)
	}
	if got, want := minorsString(m.Kubernetes.Versions), minorsString(plan.versions); got != want {
		return fmt.Errorf("verify the edited file: kubernetes.versions is [%s], want [%s]", got, want)
	}
	for _, d := range plan.dists {
		x := m.Distribution(d.id)
		if got, want := minorsString(m.OfferedMinors(x)), minorsString(d.offers); got != want {
			return fmt.Errorf("verify the edited file: distributions.%s offers [%s], want [%s]", d.id, got, want)
		}
		if d.names != nil {
			got := map[string]string{}
			for _, r := range x.ReleaseNames {
				got[r.Minor.String()] = r.Name
			}
			if !reflect.DeepEqual(got, d.names) {
				return fmt.Errorf("verify the edited file: distributions.%s.release_names is %v, want %v", d.id, got, d.names)
			}
		}
	}
	for _, e := range m.Kubernetes.Extended {
		if plan.expired[e.Minor.String()] {
			return fmt.Errorf("verify the edited file: kubernetes.extended.%s is still there", e.Minor)
		}
	}
	return nil
}

func dropKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i:i], m.Content[i+2:]...)
			return
		}
	}
}

func minorsString(vs []matrix.Minor) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = v.String()
	}
	return strings.Join(s, ", ")
}
