package generate

import (
	"encoding/json"
)

// encodeManifest writes the manifest as json.MarshalIndent(m, "", "  ")
// does, and a final line break, without reflection: a large matrix lists
// thousands of jobs. TestManifestMatchesJSON compares both on every
// example and keeps the field list here in step with ManifestJob's.
func encodeManifest(m *Manifest) ([]byte, error) {
	dst := make([]byte, 0, manifestSize(m))
	dst = append(dst, "{\n  \"schema\": "...)
	dst = appendJSONString(dst, m.Schema)
	dst = append(dst, ",\n  \"jobs\": "...)
	dst = appendList(dst, m.Jobs == nil, len(m.Jobs), func(dst []byte, i int) []byte { return appendManifestJob(dst, &m.Jobs[i]) })
	dst = append(dst, ",\n  \"cells\": "...)
	dst = appendList(dst, m.Cells == nil, len(m.Cells), func(dst []byte, i int) []byte {
		return appendJSONString(append(dst, "\n    "...), m.Cells[i])
	})
	return append(dst, "\n}\n"...), nil
}

// manifestSize is the length of encodeManifest's output when no string
// needs an escape, so that the output is allocated once.
func manifestSize(m *Manifest) int {
	n := 64 + len(m.Schema)
	for i := range m.Jobs {
		j := &m.Jobs[i]
		n += 16 // "\n    {", "\n    }" and the comma
		for _, v := range [...]string{j.Name, j.File, j.Kind, j.Cell, j.Distribution, j.Kubernetes, j.From, j.To, j.Nodes, j.Feature, j.Action, j.Target, j.Suite} {
			if v != "" {
				n += 28 + len(v) // the line, the longest field name, the quotes
			}
		}
	}
	for _, c := range m.Cells {
		n += 8 + len(c)
	}
	return n
}

// appendList writes a list of the manifest: null, [] or its items, each
// written by item from its own line.
func appendList(dst []byte, isNil bool, n int, item func(dst []byte, i int) []byte) []byte {
	switch {
	case isNil:
		return append(dst, "null"...)
	case n == 0:
		return append(dst, "[]"...)
	}
	dst = append(dst, '[')
	for i := 0; i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = item(dst, i)
	}
	return append(dst, "\n  ]"...)
}

// appendManifestJob writes one job at the manifest's indentation, its
// fields in ManifestJob's order, the omitempty ones only when set.
func appendManifestJob(dst []byte, j *ManifestJob) []byte {
	dst = append(dst, "\n    {"...)
	field := func(name, v string, always bool) {
		if v == "" && !always {
			return
		}
		if dst[len(dst)-1] != '{' {
			dst = append(dst, ',')
		}
		dst = append(dst, "\n      \""...)
		dst = append(dst, name...)
		dst = append(dst, "\": "...)
		dst = appendJSONString(dst, v)
	}
	field("name", j.Name, true)
	field("file", j.File, true)
	field("kind", j.Kind, true)
	field("cell", j.Cell, false)
	field("distribution", j.Distribution, false)
	field("kubernetes", j.Kubernetes, false)
	field("from", j.From, false)
	field("to", j.To, false)
	field("nodes", j.Nodes, false)
	field("feature", j.Feature, false)
	field("action", j.Action, false)
	field("target", j.Target, false)
	field("suite", j.Suite, false)
	return append(dst, "\n    }"...)
}

// manifestJobFields is how many fields appendManifestJob writes.
const manifestJobFields = 13

// appendJSONString appends s as encoding/json writes a string: printable
// ASCII other than " \ < > & as it is, anything else through encoding/json
// itself (its HTML-safe escapes, \ufffd for invalid UTF-8).
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always marshals
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
