// Package component reads the project's CI/CD components (templates/*.yml,
// the layout GitLab requires of a component project) so that tests can hold
// them to GitLab's rules and run them through gitlab-ci-local.
//
// GitLab finds a project's components by the path pattern
// ^templates/[\w-]+(?:/template)?\.yml$ (app/models/ci/catalog/components_project.rb),
// at most 30 of them; a component is a YAML header with spec:inputs, a
// document separator, and the configuration it adds to the pipeline.
package component

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Dir is where GitLab looks for a project's components.
const Dir = "templates"

// Limit is how many components GitLab publishes from one project
// (Ci::Catalog::ComponentsProject::COMPONENTS_LIMIT).
const Limit = 30

// PathRE is the pattern of a component's path in its repository
// (Ci::Catalog::ComponentsProject::TEMPLATE_PATH_REGEX).
var PathRE = regexp.MustCompile(`^templates/[\w-]+(?:/template)?\.yml$`)

// InputKeys are the keys an input may have (Gitlab::Ci::Config::Entry::BaseInput
// COMMON_ALLOWED_KEYS; rules, from GitLab 18.7, is left out for older targets).
var InputKeys = map[string]bool{"default": true, "description": true, "options": true, "regex": true, "type": true}

// InputTypes are the types an input may declare (doc/ci/inputs/_index.md).
var InputTypes = map[string]bool{"string": true, "number": true, "boolean": true, "array": true}

// Input is one spec:inputs entry.
type Input struct {
	Default     any      `yaml:"default"`
	HasDefault  bool     `yaml:"-"`
	Description string   `yaml:"description"`
	Options     []any    `yaml:"options"`
	Regex       string   `yaml:"regex"`
	Type        string   `yaml:"type"`
	Keys        []string `yaml:"-"`
}

// Component is one parsed component file.
type Component struct {
	// Name is how include:component names it: the file name without .yml,
	// or the directory of a template.yml.
	Name string
	// Path is relative to the repository root.
	Path   string
	Inputs map[string]*Input
	// Body is the configuration after the header, uninterpolated.
	Body []byte
	// Header is the raw header document.
	Header []byte
}

// Load reads every component under root/templates, in name order. A file
// there that GitLab would not take as a component is an error: the Catalog
// must not meet anything else in the directory.
func Load(root string) ([]*Component, error) {
	var out []*Component
	err := filepath.WalkDir(filepath.Join(root, Dir), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !PathRE.MatchString(rel) {
			return fmt.Errorf("component: %s is not a component path (jobs/<name>.yml or jobs/<name>/template.yml)", rel)
		}
		c, err := Parse(rel, mustRead(p))
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if len(out) > Limit {
		return nil, fmt.Errorf("component: %d components, GitLab publishes at most %d", len(out), Limit)
	}
	return out, nil
}

func mustRead(p string) []byte {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	return data
}

var separatorRE = regexp.MustCompile(`(?m)^---[ \t]*$`)

// Parse reads one component file: its header (spec:inputs) and body.
func Parse(path string, data []byte) (*Component, error) {
	loc := separatorRE.FindIndex(data)
	if loc == nil {
		return nil, fmt.Errorf("component %s: no --- after the spec header", path)
	}
	c := &Component{Path: path, Header: data[:loc[0]], Body: bytes.TrimLeft(data[loc[1]:], "\n")}
	name := strings.TrimSuffix(strings.TrimPrefix(path, Dir+"/"), ".yml")
	c.Name = strings.TrimSuffix(name, "/template")
	var header struct {
		Spec struct {
			Inputs yaml.Node `yaml:"inputs"`
		} `yaml:"spec"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(c.Header))
	dec.KnownFields(true)
	if err := dec.Decode(&header); err != nil {
		return nil, fmt.Errorf("component %s: header: %w", path, err)
	}
	n := header.Spec.Inputs
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("component %s: spec:inputs is not a map", path)
	}
	c.Inputs = map[string]*Input{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i].Value, n.Content[i+1]
		in := &Input{}
		if err := val.Decode(in); err != nil {
			return nil, fmt.Errorf("component %s:%d: input %s: %w", path, val.Line, key, err)
		}
		for j := 0; j+1 < len(val.Content); j += 2 {
			k := val.Content[j].Value
			in.Keys = append(in.Keys, k)
			if k == "default" {
				in.HasDefault = true
			}
		}
		c.Inputs[key] = in
	}
	return c, nil
}

// interpolationRE matches $[[ inputs.name ]] (functions are not used here).
var interpolationRE = regexp.MustCompile(`\$\[\[\s*inputs\.([\w-]+)\s*\]\]`)

// Uses returns the names of the inputs the body interpolates, sorted.
func (c *Component) Uses() []string {
	seen := map[string]bool{}
	for _, m := range interpolationRE.FindAllSubmatch(c.Body, -1) {
		seen[string(m[1])] = true
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// projectComponentRE matches an include of one of this project's components:
// by the released path (README.md, examples) or from the including project
// itself ($CI_PROJECT_PATH at $CI_COMMIT_SHA, as the project's own pipeline
// tests them).
var projectComponentRE = regexp.MustCompile(`(?m)^(\s*)- component: \$CI_SERVER_FQDN/(?:supportmatrix/supportmatrix|\$CI_PROJECT_PATH)/([\w-]+)@\S+$`)

// LocalIncludes rewrites the includes of this project's components in a
// pipeline file to include:local of jobs/<name>.yml, keeping their
// inputs: gitlab-ci-local cannot fetch a component from a GitLab, and a
// local include with inputs is interpolated the same way
// (doc/ci/yaml/_index.md, include:inputs).
func LocalIncludes(ci []byte) []byte {
	return projectComponentRE.ReplaceAll(ci, []byte("${1}- local: templates/${2}.yml"))
}

// Expand writes the pipeline file ci, with LocalIncludes applied, and the
// components of root/templates into dir (a fresh directory), and returns
// ci as gitlab-ci-local expands it: the components included with their
// inputs, the spec header's defaults applied. preview is localci.Preview.
func Expand(root, dir string, ci []byte, preview func(dir, file string) ([]byte, error)) ([]byte, error) {
	if err := os.MkdirAll(filepath.Join(dir, Dir), 0o755); err != nil {
		return nil, fmt.Errorf("expand: %w", err)
	}
	cs, err := Load(root)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		data, err := os.ReadFile(filepath.Join(root, c.Path))
		if err != nil {
			return nil, fmt.Errorf("expand: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, Dir, c.Name+".yml"), data, 0o644); err != nil {
			return nil, fmt.Errorf("expand: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), LocalIncludes(ci), 0o644); err != nil {
		return nil, fmt.Errorf("expand: %w", err)
	}
	// gitlab-ci-local finds include:local files among the tracked ones.
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("expand: git %s: %w: %s", strings.Join(args, " "), err, out)
		}
	}
	return preview(dir, ".gitlab-ci.yml")
}
