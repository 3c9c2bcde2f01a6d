package generate

import (
	"bytes"
	"strconv"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/internal/yaml11"
)

// encode is the one YAML encoder of the package: yaml.v3, two-space indent.
// Every generated file is written in its style: the templates, the
// preamble and the router by encode itself, the jobs by the job writer
// (writer.go), which is tested to give the same bytes.
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
