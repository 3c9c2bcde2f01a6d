package matrix

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/pkg/cicheck"
)

// maxNodeVisits bounds the work of walking a document, aliases included, so
// that an alias bomb is refused in bounded time and memory.
const maxNodeVisits = 2_000_000

var idPattern = regexp.MustCompile(IDPattern)

// errBudget stops the walk of a document that expands beyond maxNodeVisits.
type errBudget struct{}

// decoder walks a yaml.Node tree and collects every problem it meets, each
// with its position and element path.
type decoder struct {
	file   string
	probs  Problems
	visits int
	// plan is the matrix expanded for the checks that need its cells.
	plan *Plan
	// merging holds the mappings whose merge keys (<<) are being expanded,
	// so that a mapping merging itself (`d: &base {<<: *base}`) is refused
	// instead of recursing without end.
	merging map[*yaml.Node]bool
	// written holds every minor kubernetes.versions lists, those refused
	// for their order included, so that a list merely out of order does
	// not also read as missing a minor.
	written []Minor
}

func (d *decoder) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: d.file, Line: 1, Column: 1}
	}
	return Pos{File: d.file, Line: n.Line, Column: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, path, rule, format string, args ...any) {
	d.probs.Addf(Error, d.pos(n), path, rule, format, args...)
}

// resolve follows aliases and charges the visit budget.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for hops := 0; n != nil && n.Kind == yaml.AliasNode; hops++ {
		if hops > 100 {
			d.errorf(n, "", "alias", "alias chain too long")
			return nil
		}
		n = n.Alias
	}
	d.visits++
	if d.visits > maxNodeVisits {
		panic(errBudget{})
	}
	return n
}

// expansion measures how many nodes a document stands for with every
// alias expanded, counting no further than limit+1, so that an alias bomb
// is refused before the walk starts, in time proportional to the file.
// The visit budget (resolve) still bounds the walk.
type expansion struct {
	limit int
	// sizes holds each node's size once counted. A node met again inside
	// itself (a mapping that merges itself) counts once: the walk refuses
	// it, at its line.
	sizes map[*yaml.Node]int
	// aliased is set once an alias was followed: without one, the size is
	// the file's node count, which MaxFileSize bounds.
	aliased bool
}

// aliasBomb reports whether the document at n expands through aliases to more
// than maxNodeVisits nodes.
func aliasBomb(n *yaml.Node) bool {
	e := &expansion{limit: maxNodeVisits, sizes: map[*yaml.Node]int{}}
	return e.size(n) > e.limit && e.aliased
}

func (e *expansion) size(n *yaml.Node) int {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		e.aliased = true
		return e.size(n.Alias)
	}
	if size, ok := e.sizes[n]; ok {
		return size
	}
	e.sizes[n] = 1 // inside itself
	size := 1
	for _, c := range n.Content {
		if size += e.size(c); size > e.limit {
			size = e.limit + 1
			break
		}
	}
	e.sizes[n] = size
	return size
}

// pair is one key and value of a mapping, aliases resolved.
type pair struct {
	Key   string
	KeyN  *yaml.Node
	Value *yaml.Node
}

// mapping checks that n is a mapping, refuses duplicate keys and (when
// allowed is not nil) unknown keys, and returns the pairs in file order.
// Merge keys (<<) are expanded; keys written in the mapping win.
func (d *decoder) mapping(n *yaml.Node, path string, allowed ...string) ([]pair, bool) {
	n = d.resolve(n)
	if n == nil {
		return nil, false
	}
	if n.Kind != yaml.MappingNode {
		if isNull(n) {
			return nil, true
		}
		d.errorf(n, path, "type", "must be a mapping, not %s", describe(n))
		return nil, false
	}
	var explicit, merged []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			if d.merging == nil {
				d.merging = map[*yaml.Node]bool{}
			}
			d.merging[n] = true
			merged = append(merged, d.mergePairs(v, path)...)
			delete(d.merging, n)
			continue
		}
		kr := d.resolve(k)
		if kr == nil || kr.Kind != yaml.ScalarNode {
			d.errorf(k, path, "type", "keys must be plain scalars")
			continue
		}
		key := kr.Value
		if first, dup := seen[key]; dup {
			d.errorf(k, join(path, key), "duplicate-key", "duplicate key %q (first at line %d)", key, first.Line)
			continue
		}
		seen[key] = k
		if allowed != nil && !contains(allowed, key) {
			d.errorf(k, join(path, key), "unknown-key", "unknown key %q; known keys: %s", key, strings.Join(allowed, ", "))
			continue
		}
		explicit = append(explicit, pair{Key: key, KeyN: k, Value: v})
	}
	for _, p := range merged {
		if _, ok := seen[p.Key]; ok {
			continue
		}
		seen[p.Key] = p.KeyN
		if allowed != nil && !contains(allowed, p.Key) {
			d.errorf(p.KeyN, join(path, p.Key), "unknown-key", "unknown key %q (merged in); known keys: %s", p.Key, strings.Join(allowed, ", "))
			continue
		}
		explicit = append(explicit, p)
	}
	return explicit, true
}

// mergePairs returns the pairs a merge key brings in: one mapping or a list.
// A source that is being expanded already (the mapping merges itself,
// directly or through another anchor) is refused as yaml.v3's own decoder
// refuses it ("anchor 'base' value contains itself"), at the alias.
func (d *decoder) mergePairs(v *yaml.Node, path string) []pair {
	r := d.resolve(v)
	if r == nil {
		return nil
	}
	var sources []*yaml.Node
	switch r.Kind {
	case yaml.MappingNode:
		sources = []*yaml.Node{v}
	case yaml.SequenceNode:
		sources = r.Content
	default:
		d.errorf(r, path, "type", "a merge key (<<) takes a mapping or a list of mappings")
		return nil
	}
	var out []pair
	for _, s := range sources {
		target := d.resolve(s)
		if target == nil {
			continue
		}
		if d.merging[target] {
			name := s.Value
			if s.Kind != yaml.AliasNode || name == "" {
				name = target.Anchor
			}
			d.errorf(s, path, "alias", "anchor '%s' value contains itself: the merge key (<<) would expand without end", name)
			continue
		}
		ps, _ := d.mapping(s, path)
		out = append(out, ps...)
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// describe names a node's kind for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!null":
			return "empty"
		case "!!bool":
			return "the boolean " + n.Value
		case "!!int", "!!float":
			return "the number " + n.Value
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

// str reads a string scalar. Numbers and booleans are refused: a string
// field holding one is usually a typo.
func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	n = d.resolve(n)
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		d.errorf(n, path, "type", "must be a string, not %s", describe(n))
		return "", false
	}
	return n.Value, true
}

// nonEmpty reads a string that must not be blank.
func (d *decoder) nonEmpty(n *yaml.Node, path string) (string, bool) {
	s, ok := d.str(n, path)
	if ok && strings.TrimSpace(s) == "" {
		d.errorf(n, path, "required", "must not be empty")
		return "", false
	}
	return s, ok
}

// line reads a non-empty string that must fit on one line: values that
// end up in job keys (image, agent context, runner tags).
func (d *decoder) line(n *yaml.Node, path string) (string, bool) {
	s, ok := d.nonEmpty(n, path)
	if ok && strings.ContainsAny(s, "\n\r") {
		d.errorf(n, path, "single-line", "must be one line")
		return "", false
	}
	return s, ok
}

// scalarText reads a string, number or boolean scalar as the text written,
// for CI variable values.
func (d *decoder) scalarText(n *yaml.Node, path string) (string, bool) {
	n = d.resolve(n)
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "!!int" && n.Tag != "!!float" && n.Tag != "!!bool") {
		d.errorf(n, path, "type", "must be a string or a number, not %s", describe(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) integer(n *yaml.Node, path string, r Range) (int, bool) {
	n = d.resolve(n)
	if n == nil {
		return 0, false
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		d.errorf(n, path, "type", "must be a whole number, not %s", describe(n))
		return 0, false
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil || v < r.Min || v > r.Max {
		d.errorf(n, path, "range", "must be between %d and %d, not %s", r.Min, r.Max, n.Value)
		return 0, false
	}
	return v, true
}

// share decodes a share between 0 and 1 (0.1 is 10 %): a whole number or a
// decimal, never a string, so that "10%" is refused with its position
// rather than read as something else.
func (d *decoder) share(n *yaml.Node, path string) (float64, bool) {
	n = d.resolve(n)
	if n == nil {
		return 0, false
	}
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		d.errorf(n, path, "type", "must be a share between 0 and 1 (0.1 is 10 %%), not %s", describe(n))
		return 0, false
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil || !(v >= 0 && v <= 1) {
		d.errorf(n, path, "range", "must be between 0 and 1 (0.1 is 10 %%), not %s", n.Value)
		return 0, false
	}
	return v, true
}

func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	n = d.resolve(n)
	if n == nil {
		return false, false
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.errorf(n, path, "type", "must be true or false, not %s", describe(n))
		return false, false
	}
	return n.Value == "true" || n.Value == "True" || n.Value == "TRUE", true
}

// seq checks that n is a list and returns its items.
func (d *decoder) seq(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	n = d.resolve(n)
	if n == nil {
		return nil, false
	}
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "type", "must be a list, not %s", describe(n))
		return nil, false
	}
	return n.Content, true
}

// strings reads a list of strings.
func (d *decoder) strings(n *yaml.Node, path string) ([]string, []*yaml.Node) {
	items, _ := d.seq(n, path)
	var out []string
	var nodes []*yaml.Node
	for i, it := range items {
		if s, ok := d.nonEmpty(it, fmt.Sprintf("%s[%d]", path, i)); ok {
			out = append(out, s)
			nodes = append(nodes, it)
		}
	}
	return out, nodes
}

// lines reads a list of one-line strings.
func (d *decoder) lines(n *yaml.Node, path string) []string {
	items, _ := d.seq(n, path)
	var out []string
	for i, it := range items {
		if s, ok := d.line(it, fmt.Sprintf("%s[%d]", path, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

// ids reads one id or a list of ids, as rules write them.
func (d *decoder) ids(n *yaml.Node, path string) ([]string, []*yaml.Node) {
	r := d.resolve(n)
	if r != nil && r.Kind == yaml.ScalarNode {
		if s, ok := d.id(r, path); ok {
			return []string{s}, []*yaml.Node{r}
		}
		return nil, nil
	}
	items, _ := d.seq(r, path)
	if r != nil && r.Kind == yaml.SequenceNode && len(items) == 0 {
		d.errorf(r, path, "required", "must list at least one id")
	}
	var out []string
	var nodes []*yaml.Node
	for i, it := range items {
		if s, ok := d.id(it, fmt.Sprintf("%s[%d]", path, i)); ok {
			out = append(out, s)
			nodes = append(nodes, it)
		}
	}
	return out, nodes
}

// id reads a string that must be a valid id.
func (d *decoder) id(n *yaml.Node, path string) (string, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return "", false
	}
	if !d.validID(n, path, s) {
		return "", false
	}
	return s, true
}

// validID reports whether s is a valid id, and says why not at n.
func (d *decoder) validID(n *yaml.Node, path, s string) bool {
	if idPattern.MatchString(s) {
		return true
	}
	d.errorf(n, path, "id", "%q is not a valid id: use %s", s, IDRule)
	return false
}

var minorPattern = regexp.MustCompile(`^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$`)

// minor reads a Kubernetes minor written "1.35" or 1.35. The scalar's source
// text is used, so an unquoted 1.30 reads as 1.30, never 1.3.
func (d *decoder) minor(n *yaml.Node, path string) (Minor, bool) {
	n = d.resolve(n)
	if n == nil {
		return Minor{}, false
	}
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "!!float") {
		d.errorf(n, path, "version", "must be a Kubernetes minor such as \"1.35\", not %s", describe(n))
		return Minor{}, false
	}
	m := minorPattern.FindStringSubmatch(n.Value)
	if m == nil {
		d.errorf(n, path, "version", "%q is not a Kubernetes minor; write major.minor, such as \"1.35\"", n.Value)
		return Minor{}, false
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	v := NewMinor(major, minor)
	v.Pos = d.pos(n)
	return v, true
}

// gitlabVersion reads a GitLab release such as "17.0" (an unquoted 17.0
// is read as written, not as the number 17).
func (d *decoder) gitlabVersion(n *yaml.Node, path string) (cicheck.Version, bool) {
	n = d.resolve(n)
	if n == nil {
		return cicheck.Version{}, false
	}
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "!!float") {
		d.errorf(n, path, "version", "must be a GitLab version such as \"17.0\", not %s", describe(n))
		return cicheck.Version{}, false
	}
	v, err := cicheck.ParseVersion(n.Value)
	if err != nil {
		d.errorf(n, path, "version", "%v", err)
		return cicheck.Version{}, false
	}
	return v, true
}

// constraint reads a go-version constraint such as ">= 1.34, < 1.37".
func (d *decoder) constraint(n *yaml.Node, path string) *Constraint {
	text, ok := d.constraintText(n, path)
	if !ok {
		return nil
	}
	c, err := parseConstraint(text)
	if err != nil {
		d.errorf(n, path, "constraint", "%q is not a version constraint (%v); write e.g. \">= 1.34, < 1.37\"", text, err)
		return nil
	}
	return &Constraint{Text: text, C: c, Pos: d.pos(d.resolve(n))}
}

// constraintText accepts a string, or a bare minor such as 1.35 (meaning = 1.35).
func (d *decoder) constraintText(n *yaml.Node, path string) (string, bool) {
	r := d.resolve(n)
	if r != nil && r.Kind == yaml.ScalarNode && r.Tag == "!!float" {
		return r.Value, true
	}
	return d.nonEmpty(n, path)
}

func (d *decoder) duration(n *yaml.Node, path string) *Duration {
	r := d.resolve(n)
	var text string
	if r != nil && r.Kind == yaml.ScalarNode && r.Tag == "!!int" {
		text = r.Value
	} else {
		var ok bool
		if text, ok = d.nonEmpty(n, path); !ok {
			return nil
		}
	}
	v, err := ParseDuration(text)
	if err != nil {
		d.errorf(r, path, "duration", "%v", err)
		return nil
	}
	return &Duration{Text: text, D: v, Pos: d.pos(r)}
}

// enum reads a string that must be one of the values.
func (d *decoder) enum(n *yaml.Node, path string, values ...string) (string, bool) {
	s, ok := d.str(n, path)
	if !ok {
		return "", false
	}
	if !contains(values, s) {
		d.errorf(n, path, "enum", "%q is not one of %s", s, strings.Join(values, ", "))
		return "", false
	}
	return s, true
}
