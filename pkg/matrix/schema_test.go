package matrix_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// repoRoot is the repository root seen from this package's directory.
const repoRoot = "../.."

// compileSchema compiles matrix/schema.json; compiling also checks it
// against the draft 2020-12 meta-schema.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(repoRoot, "matrix", "schema.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open schema: %v", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatalf("add %s: %v", path, err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("compile %s: %v", path, err)
	}
	return sch
}

// yamlToJSONValue reads a YAML document into the values a JSON decoder would
// produce. It works on yaml.Node so that numbers keep their text: an unquoted
// minor 1.30 becomes json.Number("1.30"), not the float 1.3.
func yamlToJSONValue(data []byte) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 {
		return nil, nil
	}
	return nodeValue(&doc, 0)
}

func nodeValue(n *yaml.Node, depth int) (any, error) {
	if depth > 100 {
		return nil, fmt.Errorf("line %d: nesting or aliases too deep", n.Line)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		return nodeValue(n.Content[0], depth+1)
	case yaml.AliasNode:
		return nodeValue(n.Alias, depth+1)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := nodeValue(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: mapping key is not a scalar", k.Line)
			}
			if k.ShortTag() == "!!merge" {
				merges = append(merges, v)
				continue
			}
			if _, dup := out[k.Value]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
			}
			val, err := nodeValue(v, depth+1)
			if err != nil {
				return nil, err
			}
			out[k.Value] = val
		}
		// Merge keys (<<) fill in what the mapping does not set itself.
		for _, m := range merges {
			if m.Kind == yaml.AliasNode {
				m = m.Alias
			}
			sources := []*yaml.Node{m}
			if m.Kind == yaml.SequenceNode {
				sources = m.Content
			}
			for _, s := range sources {
				val, err := nodeValue(s, depth+1)
				if err != nil {
					return nil, err
				}
				obj, ok := val.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("line %d: merge key takes mappings", s.Line)
				}
				for k, v := range obj {
					if _, set := out[k]; !set {
						out[k] = v
					}
				}
			}
		}
		return out, nil
	case yaml.ScalarNode:
		return scalarValue(n)
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node kind %v", n.Line, n.Kind)
}

var jsonNumber = regexp.MustCompile(`^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$`)

func scalarValue(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return b, nil
	case "!!int", "!!float":
		if jsonNumber.MatchString(n.Value) {
			return json.Number(n.Value), nil
		}
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("line %d: %s has no JSON equivalent", n.Line, n.Value)
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
	default:
		return n.Value, nil
	}
}

// validMatrices lists the project's matrix and every examples/**/matrix.yaml.
func validMatrices(t *testing.T) []string {
	t.Helper()
	files := []string{filepath.Join(repoRoot, "matrix", "matrix.yaml")}
	err := filepath.WalkDir(filepath.Join(repoRoot, "examples"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "matrix.yaml" {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("list examples: %v", err)
	}
	sort.Strings(files[1:])
	return files
}

func TestSchemaAcceptsShippedMatrices(t *testing.T) {
	sch := compileSchema(t)
	files := validMatrices(t)
	if len(files) < 4 {
		t.Fatalf("found %d matrices (%v), want the project's and at least three examples", len(files), files)
	}
	for _, path := range files {
		t.Run(filepath.ToSlash(strings.TrimPrefix(path, repoRoot+string(filepath.Separator))), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			v, err := yamlToJSONValue(data)
			if err != nil {
				t.Fatalf("read %s: %v", path, err)
			}
			if err := sch.Validate(v); err != nil {
				t.Errorf("schema refuses %s:\n%v", path, err)
			}
			// The schema and the loader must agree on what the project ships.
			if _, probs := matrix.ParseWithWarnings(path, data); len(probs) > 0 {
				t.Errorf("loader reports problems in %s:\n%v", path, probs)
			}
			if !bytes.HasPrefix(data, []byte("# yaml-language-server: $schema=")) {
				t.Errorf("%s: first line is not a yaml-language-server $schema modeline", path)
			}
		})
	}
}

// TestSchemaRejectsInvalid checks each testdata/schema-invalid-*.yaml fixture.
// A fixture names, in comments, where the schema must complain and a word of
// the complaint, so that a fixture failing for another reason is caught:
//
//	# want-location: /distributions/gke/tier
//	# want-message: official
//
// A wrong map key (an id) has the location "(property name)".
func TestSchemaRejectsInvalid(t *testing.T) {
	sch := compileSchema(t)
	files, err := filepath.Glob(filepath.Join("testdata", "schema-invalid-*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 8 {
		t.Fatalf("found %d schema-invalid fixtures, want at least 8", len(files))
	}
	for _, path := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "schema-invalid-"), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			wantLoc, wantMsg := fixtureWants(t, data)
			v, err := yamlToJSONValue(data)
			if err != nil {
				t.Fatalf("read %s: %v", path, err)
			}
			// Every fixture is also refused by the loader, so editors never
			// flag what supportmatrix accepts for the same reason.
			if _, err := matrix.Parse(path, data); err == nil {
				t.Errorf("loader accepts %s, which the schema must refuse", path)
			}
			err = sch.Validate(v)
			if err == nil {
				t.Fatalf("schema accepts %s, want a complaint at %s", path, wantLoc)
			}
			var ve *jsonschema.ValidationError
			if !asValidationError(err, &ve) {
				t.Fatalf("validate %s: %v", path, err)
			}
			printer := message.NewPrinter(language.English)
			var seen []string
			for _, leaf := range leaves(ve, false) {
				loc := "/" + strings.Join(leaf.err.InstanceLocation, "/")
				if leaf.propertyName {
					// jsonschema v6.0.3 reports a wrong instance location
					// for propertyNames errors; fixtures name them so.
					loc = propertyNameLoc
				}
				msg := leaf.err.ErrorKind.LocalizedString(printer)
				seen = append(seen, loc+": "+msg)
				if loc == wantLoc && strings.Contains(msg, wantMsg) {
					return
				}
			}
			t.Errorf("%s: no complaint at %s mentioning %q; got:\n  %s", path, wantLoc, wantMsg, strings.Join(seen, "\n  "))
		})
	}
}

func asValidationError(err error, out **jsonschema.ValidationError) bool {
	ve, ok := err.(*jsonschema.ValidationError)
	if ok {
		*out = ve
	}
	return ok
}

// propertyNameLoc is the want-location of a fixture whose map key is wrong.
const propertyNameLoc = "(property name)"

type leaf struct {
	err          *jsonschema.ValidationError
	propertyName bool // raised under a propertyNames keyword
}

// leaves returns the innermost errors of the tree, where the real complaints are.
func leaves(e *jsonschema.ValidationError, underPropertyNames bool) []leaf {
	kw := e.ErrorKind.KeywordPath()
	if len(kw) > 0 && kw[len(kw)-1] == "propertyNames" {
		underPropertyNames = true
	}
	if len(e.Causes) == 0 {
		return []leaf{{err: e, propertyName: underPropertyNames}}
	}
	var out []leaf
	for _, c := range e.Causes {
		out = append(out, leaves(c, underPropertyNames)...)
	}
	return out
}

func fixtureWants(t *testing.T, data []byte) (loc, msg string) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if v, ok := strings.CutPrefix(line, "# want-location:"); ok {
			loc = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "# want-message:"); ok {
			msg = strings.TrimSpace(v)
		}
	}
	if loc == "" || msg == "" {
		t.Fatalf("fixture lacks # want-location: and # want-message: comments")
	}
	return loc, msg
}

// schemaJSON reads matrix/schema.json as plain JSON values.
func schemaJSON(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "matrix", "schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestSchemaDescribesEveryKey keeps the editor help complete: every property
// of every object in the schema has a description, on itself or on the
// definition it refers to.
func TestSchemaDescribesEveryKey(t *testing.T) {
	root := schemaJSON(t)
	defs, _ := root["$defs"].(map[string]any)
	described := func(s map[string]any) bool {
		if _, ok := s["description"]; ok {
			return true
		}
		if ref, ok := s["$ref"].(string); ok {
			def, _ := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
			_, ok := def["description"]
			return ok
		}
		return false
	}
	var missing []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if props, ok := v["properties"].(map[string]any); ok {
				for name, p := range props {
					if s, ok := p.(map[string]any); !ok || !described(s) {
						missing = append(missing, path+"/properties/"+name)
					}
				}
			}
			if obj, ok := v["type"]; ok && obj == "object" {
				if _, ok := v["additionalProperties"]; !ok {
					missing = append(missing, path+" (object without additionalProperties)")
				}
			}
			for k, c := range v {
				if k == "if" {
					continue // conditions test values; they declare no keys
				}
				walk(path+"/"+k, c)
			}
		case []any:
			for i, c := range v {
				walk(fmt.Sprintf("%s/%d", path, i), c)
			}
		}
	}
	walk("#", root)
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("schema keys without a description:\n  %s", strings.Join(missing, "\n  "))
	}
}

func TestYAMLToJSONValueKeepsMinors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"unquoted minor keeps its zero", "v: 1.30", `{"v":1.30}`},
		{"quoted minor stays a string", `v: "1.30"`, `{"v":"1.30"}`},
		{"integer", "v: 3", `{"v":3}`},
		{"hex integer", "v: 0x10", `{"v":16}`},
		{"null and bool", "a: ~\nb: true", `{"a":null,"b":true}`},
		{"alias", "a: &x [1.30]\nb: *x", `{"a":[1.30],"b":[1.30]}`},
		{"merge key", "base: &b {x: 1, y: 2}\nc: {<<: *b, y: 3}", `{"base":{"x":1,"y":2},"c":{"x":1,"y":3}}`},
	}
	for _, bad := range []string{"v: .inf", "v: .nan", "{a: 1, a: 2}"} {
		if v, err := yamlToJSONValue([]byte(bad)); err == nil {
			t.Errorf("yamlToJSONValue(%q) = %v, want an error", bad, v)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := yamlToJSONValue([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestSchemaReservedVariables: the schema's reserved variable pattern,
// generated from matrix.ReservedVariable's lists (TestSchemaGenerated),
// refuses and accepts the names the loader does.
func TestSchemaReservedVariables(t *testing.T) {
	sch := compileSchema(t)
	names := []string{"OK", "CI", "MY_CI_VAR", "PATHS", "SMALL", "HOMEDIR", "ci_debug_trace", "CI_DEBUG_TRACE", "Path", "sm_cell", "KUBE_CONTEXT", "LD_PRELOAD", "DOCKER_HOST"}
	names = append(names, matrix.ReservedVariableNames...)
	for _, name := range names {
		_, reserved := matrix.ReservedVariable(name)
		doc := fmt.Sprintf("schema: supportmatrix/v1\nkubernetes: {versions: [\"1.35\"]}\nfeatures: {deploy: {name: D}}\n"+
			"distributions:\n  kind:\n    name: kind\n    tier: community\n    cluster: {type: ephemeral, provision: kind-provision, teardown: kind-teardown}\n"+
			"    variables: {%s: x}\n", name)
		v, err := yamlToJSONValue([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		schemaRefuses := sch.Validate(v) != nil
		_, loadErr := matrix.Parse("m.yaml", []byte(doc))
		if schemaRefuses != reserved || (loadErr != nil) != reserved {
			t.Errorf("%s: reserved %v, schema refuses %v, loader refuses %v", name, reserved, schemaRefuses, loadErr != nil)
		}
	}
}
