package generate

import (
	"bytes"
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// encode is the one YAML encoder of the package: yaml.v3, two-space indent.
// Every byte of generated YAML goes through it, so the style is the same in
// every file.
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

// indent prefixes every non-empty line of b with two spaces, which nests an
// encoded mapping one level under a key. Block scalars stay valid: their
// indentation is relative to the enclosing node.
func indent(dst, b []byte) []byte {
	start := true
	for _, c := range b {
		if start && c != '\n' {
			dst = append(dst, ' ', ' ')
		}
		dst = append(dst, c)
		start = c == '\n'
	}
	return dst
}

// str returns a string scalar node. Strings that YAML would read as another
// type (true, 1.35, null) are quoted by the encoder because the tag is !!str.
func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
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
// encoded on its own.
func resolve(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.AliasNode {
		return resolve(n.Alias)
	}
	c := *n
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

// keyText renders a mapping key as the encoder would write it at the top
// level, without the trailing newline.
func keyText(key string) ([]byte, error) {
	b, err := encode(str(key))
	if err != nil {
		return nil, fmt.Errorf("encode job name %q: %w", key, err)
	}
	return bytes.TrimSuffix(b, []byte("\n")), nil
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
