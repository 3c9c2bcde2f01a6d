package generate

import (
	"bytes"
	"strconv"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/internal/yaml11"
)

// encode is the one YAML encoder of the package: yaml.v3, two-space indent.
// Every generated file is written in its style: fastEncoder, the fast path
// for job lists, renders each scalar with it and is tested to give the same
// bytes.
func encode(n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// str returns a string scalar node. Strings that YAML 1.2 would read as
// another type (true, 1.35, null) are quoted by yaml.v3 because the tag is
// !!str; strings that only YAML 1.1 reads as another type (on, yes, 1:30, =),
// as GitLab's parser does, are quoted here (see quote11).
func str(s string) *yaml.Node {
	return quote11(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s})
}

// quote11 gives a plain string scalar double quotes when YAML 1.1 would
// read it as another type. GitLab parses CI YAML with Psych, a YAML 1.1
// parser (lib/gitlab/config/loader/yaml.rb): a plain `on` is the boolean
// true there, so an id `on` would turn SM_FEATURE into a boolean.
// gitlab-ci-local and yaml.v3 read YAML 1.2, where it is a string: quoting
// makes all three agree.
func quote11(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.ScalarNode && n.Style == 0 && (n.Tag == "!!str" || n.Tag == "") && !yaml11.Plain(n.Value) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func integer(i int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(i)}
}

func seq(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Content: items}
}

func strs(ss []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Content: make([]*yaml.Node, 0, len(ss))}
	for _, s := range ss {
		n.Content = append(n.Content, str(s))
	}
	return n
}

// mapping is an ordered YAML mapping under construction.
type mapping struct{ n *yaml.Node }

func newMapping() mapping { return mapping{&yaml.Node{Kind: yaml.MappingNode}} }

func (m mapping) set(key string, v *yaml.Node) {
	m.n.Content = append(m.n.Content, str(key), v)
}

// get returns the value under key, or nil.
func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// resolve returns a deep copy of n with aliases replaced by copies of what
// they point to and anchors dropped, so that any part of a template can be
// encoded on its own, and string scalars quoted where YAML 1.1 needs it.
func resolve(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.AliasNode {
		return resolve(n.Alias)
	}
	c := *n
	quote11(&c)
	c.Anchor = ""
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	c.Line, c.Column = 0, 0
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, k := range n.Content {
			c.Content[i] = resolve(k)
		}
	}
	return &c
}

// deepSize estimates the memory GitLab's YAML size limit measures
// (max_yaml_size_bytes is checked on the parsed Ruby object, not on the
// text): about 40 bytes per object plus the bytes of longer strings and the
// slots of hashes and arrays. It errs high, so a file under the limit here
// is under it in GitLab.
func deepSize(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	switch n.Kind {
	case yaml.DocumentNode:
		return deepSize(n.Content[0])
	case yaml.AliasNode:
		return deepSize(n.Alias)
	case yaml.ScalarNode:
		size := 40
		if len(n.Value) > 23 {
			size += len(n.Value) + 1
		}
		return size
	}
	size := 40 + 16*len(n.Content)
	if n.Kind == yaml.MappingNode {
		size += 160
	}
	for _, c := range n.Content {
		size += deepSize(c)
	}
	return size
}

// fastEncoder writes the block-style YAML that encode writes, for the
// shapes the generator builds (mappings, sequences of scalars or of
// mappings, single-line scalars), rendering each distinct scalar once with
// encode and reusing it. yaml.v3 keeps every event of a document in memory,
// which makes large pipelines slow; the tests check that both encoders give
// the same bytes. For anything else (a multi-line scalar, a sequence in a
// sequence) it reports false and the caller uses encode.
type fastEncoder struct {
	scalars map[string][]byte
}

func newFastEncoder() *fastEncoder { return &fastEncoder{scalars: make(map[string][]byte)} }

// encode renders a top-level mapping, like encode(n).
func (f *fastEncoder) encode(n *yaml.Node) ([]byte, error) {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return encode(n)
	}
	out, ok := f.mapping(make([]byte, 0, 64*len(n.Content)), n, 0)
	if !ok {
		return encode(n)
	}
	return out, nil
}

func (f *fastEncoder) scalar(n *yaml.Node) ([]byte, bool) {
	if n.Kind != yaml.ScalarNode || (n.Style != 0 && n.Style != yaml.DoubleQuotedStyle) {
		return nil, false
	}
	key := n.Tag + "\x00" + n.Value
	if n.Style != 0 {
		key = "\"" + key
	}
	if b, ok := f.scalars[key]; ok {
		return b, b != nil
	}
	b, err := encode(n)
	if err != nil || bytes.Count(b, []byte("\n")) != 1 || bytes.HasPrefix(b, []byte("|")) || bytes.HasPrefix(b, []byte(">")) {
		f.scalars[key] = nil
		return nil, false
	}
	b = b[:len(b)-1]
	f.scalars[key] = b
	return b, true
}

func spaces(dst []byte, n int) []byte {
	for i := 0; i < n; i++ {
		dst = append(dst, ' ')
	}
	return dst
}

// mapping writes the entries of m at indentation ind.
func (f *fastEncoder) mapping(dst []byte, m *yaml.Node, ind int) ([]byte, bool) {
	return f.entries(dst, m, ind, false)
}

// entries writes the entries of m at indentation ind; with inlineFirst the
// first entry follows a sequence dash already written.
func (f *fastEncoder) entries(dst []byte, m *yaml.Node, ind int, inlineFirst bool) ([]byte, bool) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, ok := f.scalar(m.Content[i])
		if !ok {
			return nil, false
		}
		if i > 0 || !inlineFirst {
			dst = spaces(dst, ind)
		}
		dst = append(dst, k...)
		dst = append(dst, ':')
		if dst, ok = f.value(dst, m.Content[i+1], ind); !ok {
			return nil, false
		}
	}
	return dst, true
}

// value writes what follows "key:".
func (f *fastEncoder) value(dst []byte, v *yaml.Node, ind int) ([]byte, bool) {
	switch v.Kind {
	case yaml.ScalarNode:
		s, ok := f.scalar(v)
		if !ok {
			return nil, false
		}
		dst = append(dst, ' ')
		dst = append(dst, s...)
		return append(dst, '\n'), true
	case yaml.MappingNode:
		if v.Style != 0 {
			return nil, false
		}
		if len(v.Content) == 0 {
			return append(dst, " {}\n"...), true
		}
		dst = append(dst, '\n')
		return f.mapping(dst, v, ind+2)
	case yaml.SequenceNode:
		if v.Style != 0 {
			return nil, false
		}
		if len(v.Content) == 0 {
			return append(dst, " []\n"...), true
		}
		dst = append(dst, '\n')
		for _, item := range v.Content {
			dst = spaces(dst, ind+2)
			dst = append(dst, "- "...)
			switch item.Kind {
			case yaml.ScalarNode:
				s, ok := f.scalar(item)
				if !ok {
					return nil, false
				}
				dst = append(dst, s...)
				dst = append(dst, '\n')
			case yaml.MappingNode:
				if len(item.Content) == 0 || item.Style != 0 {
					return nil, false
				}
				var ok bool
				if dst, ok = f.entries(dst, item, ind+4, true); !ok {
					return nil, false
				}
			default:
				return nil, false
			}
		}
		return dst, true
	}
	return nil, false
}
