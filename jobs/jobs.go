// Package jobs holds the default job templates of supportmatrix and
// reads them, with an optional override directory that replaces defaults file
// by file.
//
// A template is a plain GitLab CI job body (script, before_script, variables,
// artifacts, image, ...): features/<name>.yml for feature areas,
// clusters/<name>.yml to provision, connect to and tear down clusters, and
// upgrade.yml for control-plane upgrades. The generator owns the keys that
// place a job in the pipeline (stage, needs, rules, ...), so a template that
// sets one is rejected. README.md documents the conventions a template follows.
//
// lib/junit.sh is the shell library every template job runs first (JUnit
// reports, checks, the server version): WithLibrary adds it, so templates and
// users' overrides keep only their own steps.
package jobs

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/pkg/diag"
)

//go:embed features/*.yml clusters/*.yml upgrade.yml
var defaults embed.FS

// LibraryPath is the shell library in the repository, for messages and linters.
const LibraryPath = "jobs/" + LibraryRel

// LibraryRel is the shell library's path inside a templates directory.
const LibraryRel = "lib/junit.sh"

// The JUnit case in which every job records its cluster's version
// (record_server_version) and from which collect reads it back: classname
// MetaClassname, named ServerVersionCase followed by the gitVersion
// ("server version v1.35.2"). Defined once, here: Library writes them into
// the library's @META_CLASSNAME@ and @SERVER_VERSION_CASE@.
const (
	MetaClassname     = "supportmatrix"
	ServerVersionCase = "server version"
)

//go:embed lib/junit.sh
var librarySource string

var library = strings.NewReplacer("@META_CLASSNAME@", MetaClassname, "@SERVER_VERSION_CASE@", ServerVersionCase).Replace(librarySource)

// Library returns the POSIX shell library that WithLibrary puts in front of
// every template job's before_script: junit_start, check, require,
// junit_case, record_server_version, junit_done (README.md documents them),
// with the case names above written in. Its lines are the source file's.
func Library() string { return library }

// LibrarySource returns lib/junit.sh as the repository holds it, before
// Library writes the case names in: what a template fingerprint hashes
// (TemplateHash), so that a base commit's file compares with it.
func LibrarySource() string { return librarySource }

// WithLibrary returns a copy of the template body whose before_script starts
// with the shell library, followed by the template's own before_script
// entries (a string or a list), and which is otherwise body unchanged. A new
// before_script key goes just before script.
//
// GitLab runs before_script and script "together in a single shell", so the
// functions the library defines are there for every script line; after_script
// runs in a new shell and does not have them
// (gitlab-org/gitlab doc/ci/yaml/_index.md, before_script and after_script).
// A job that sets before_script replaces default:before_script rather than
// merging with it (same page), and the generated jobs extend the hidden
// template job without setting before_script, so the library is never lost.
func WithLibrary(body *yaml.Node) *yaml.Node {
	lib := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.LiteralStyle, Value: library}
	before := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{lib}}
	out := *body
	out.Content = make([]*yaml.Node, 0, len(body.Content)+2)
	placed := false
	for i := 0; i+1 < len(body.Content); i += 2 {
		k, v := body.Content[i], body.Content[i+1]
		switch {
		case k.Value == "before_script":
			switch v.Kind {
			case yaml.SequenceNode:
				before.Content = append(before.Content, v.Content...)
			case yaml.ScalarNode:
				if v.Tag != "!!null" {
					before.Content = append(before.Content, v)
				}
			}
			out.Content = append(out.Content, k, before)
			placed = true
			continue
		case k.Value == "script" && !placed && !has(body, "before_script"):
			out.Content = append(out.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "before_script"}, before)
			placed = true
		}
		out.Content = append(out.Content, k, v)
	}
	if !placed {
		out.Content = append(out.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "before_script"}, before)
	}
	return &out
}

func has(m *yaml.Node, key string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return true
		}
	}
	return false
}

// defaultsLabel prefixes the source path of an embedded default in messages,
// so that users find the file in the repository.
const defaultsLabel = "jobs"

// UpgradePath is the template of control-plane upgrade jobs.
const UpgradePath = "upgrade.yml"

// FeaturePath returns the relative path of the template of a feature.
func FeaturePath(name string) string { return "features/" + name + ".yml" }

// ClusterPath returns the relative path of a cluster template (provision,
// teardown or connect).
func ClusterPath(name string) string { return "clusters/" + name + ".yml" }

// ConnectPath is the template that prepares jobs against permanent clusters.
var ConnectPath = ClusterPath("connect")

// ownedKeys are the job keywords the generator sets; a template must not.
var ownedKeys = map[string]bool{
	"stage": true, "needs": true, "tags": true, "resource_group": true,
	"rules": true, "retry": true, "timeout": true, "interruptible": true,
	"when": true, "allow_failure": true, "trigger": true, "extends": true,
	"parallel": true, "only": true, "except": true,
}

// jobKeys are the GitLab CI job keywords a template may set.
var jobKeys = map[string]bool{
	"after_script": true, "artifacts": true, "before_script": true,
	"cache": true, "coverage": true, "dependencies": true, "environment": true,
	"hooks": true, "id_tokens": true, "identity": true, "image": true,
	"inherit": true, "release": true, "script": true, "secrets": true,
	"services": true, "variables": true,
}

// Default returns the embedded default templates, rooted so that
// "features/deploy.yml" names the deploy template.
func Default() fs.FS { return defaults }

// Set is the default templates with an optional override directory on top.
type Set struct {
	overrideDir string
	override    fs.FS
}

// Open returns the default templates overridden, file by file, by the files
// under overrideDir; an empty overrideDir means the defaults alone.
func Open(overrideDir string) (*Set, error) {
	if overrideDir == "" {
		return &Set{}, nil
	}
	info, err := os.Stat(overrideDir)
	if err != nil {
		return nil, fmt.Errorf("open templates: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("open templates: %s is not a directory", overrideDir)
	}
	return &Set{overrideDir: overrideDir, override: os.DirFS(overrideDir)}, nil
}

// Read returns the bytes of the template at rel (a slash-separated path such
// as "features/deploy.yml") and the path to name in messages: the override
// file when there is one, else the default under jobs/.
func (s *Set) Read(rel string) ([]byte, string, error) {
	if !fs.ValidPath(rel) || rel == "." {
		return nil, rel, fmt.Errorf("template %q: not a relative slash-separated path", rel)
	}
	if s.override != nil {
		data, err := fs.ReadFile(s.override, rel)
		source := filepath.Join(s.overrideDir, filepath.FromSlash(rel))
		if err == nil {
			return data, source, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, source, fmt.Errorf("read template %s: %w", source, err)
		}
	}
	source := path.Join(defaultsLabel, rel)
	data, err := fs.ReadFile(defaults, rel)
	if errors.Is(err, fs.ErrNotExist) {
		where := "no default"
		if s.override != nil {
			where = fmt.Sprintf("neither in %s nor a default", s.overrideDir)
		}
		return nil, source, fmt.Errorf("template %s: %s: %w", rel, where, fs.ErrNotExist)
	}
	if err != nil {
		return nil, source, fmt.Errorf("read template %s: %w", source, err)
	}
	return data, source, nil
}

// Hash returns TemplateHash of the template at rel and the library the
// generator adds to it, so that a change to either marks the template's
// cells as changed; it returns "" when the template cannot be read (Read
// says why).
func (s *Set) Hash(rel string) string {
	data, _, err := s.Read(rel)
	if err != nil {
		return ""
	}
	return TemplateHash([]byte(librarySource), data)
}

// TemplateHash is the one fingerprint of what a template's jobs run: the hex
// SHA-256 of the shell library WithLibrary puts in front of every template
// job, then the template's bytes (the library's length first, so that no
// two splits of the same bytes collide). A change to the library therefore
// marks every cell changed, a change to a template the cells built from it.
func TemplateHash(library, template []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d\n", len(library))
	h.Write(library)
	h.Write(template)
	return hex.EncodeToString(h.Sum(nil))
}

// List returns the relative paths of every template of the set, defaults and
// overrides, sorted.
func (s *Set) List() ([]string, error) {
	seen := map[string]bool{}
	collect := func(fsys fs.FS, label string) error {
		return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("list templates in %s: %w", label, err)
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
				seen[p] = true
			}
			return nil
		})
	}
	if err := collect(defaults, defaultsLabel); err != nil {
		return nil, err
	}
	if s.override != nil {
		if err := collect(s.override, s.overrideDir); err != nil {
			return nil, err
		}
	}
	list := make([]string, 0, len(seen))
	for p := range seen {
		list = append(list, p)
	}
	sort.Strings(list)
	return list, nil
}

// Parse reads the template at rel and returns its mapping node, after checking
// that it is one YAML mapping of job keywords, without keys the generator owns
// and with a script. Every problem is reported, as a Problems error.
func (s *Set) Parse(rel string) (*yaml.Node, error) {
	data, source, err := s.Read(rel)
	if err != nil {
		return nil, err
	}
	return Parse(source, data)
}

// Parse checks one template's bytes; source names the file in problems.
func Parse(source string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, Problems{problemAt(source, 1, 1, "the template is empty; a template is a job body with a script")}
	} else if err != nil {
		p := diag.YAMLSyntax(source, data, err)
		p.Rule = "template"
		return nil, Problems{p}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Problems{problemAt(source, extra.Line, extra.Column, "a template is one YAML document, found a second one")}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, Problems{problemAt(source, root.Line, root.Column, "a template is a mapping of job keywords (script, variables, artifacts, ...)")}
	}
	var problems Problems
	add := func(n *yaml.Node, format string, args ...any) {
		problems = append(problems, problemAt(source, n.Line, n.Column, format, args...))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, value := root.Content[i], root.Content[i+1]
		if key.Kind != yaml.ScalarNode || key.Tag == "!!merge" {
			add(key, "keys of a template are job keywords; anchors and merge keys are not supported")
			continue
		}
		name := key.Value
		switch {
		case seen[name]:
			add(key, "duplicate key %q", name)
		case ownedKeys[name]:
			add(key, "%q is set by the generator from the matrix; remove it from the template", name)
		case !jobKeys[name]:
			add(key, "%q is not a job keyword a template may set (allowed: %s)", name, strings.Join(allowedKeys(), ", "))
		}
		seen[name] = true
		if name == "script" && !isScript(value) {
			add(value, "script must be a string or a list of strings")
		}
	}
	if !seen["script"] {
		add(root, "a template needs a script")
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return root, nil
}

func isScript(n *yaml.Node) bool {
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Tag == "!!str" && n.Value != ""
	case yaml.SequenceNode:
		return len(n.Content) > 0
	}
	return false
}

func allowedKeys() []string {
	keys := make([]string, 0, len(jobKeys))
	for k := range jobKeys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Problem is one thing wrong with a template, at a line and column: the
// project's one diagnostics type, with the rule "template".
type Problem = diag.Problem

// Problems is every problem found in a template; it is the error Parse returns.
type Problems = diag.Problems

// problemAt returns the problem at n of the template source.
func problemAt(source string, line, column int, format string, args ...any) Problem {
	return Problem{Pos: diag.Pos{File: source, Line: line, Column: column}, Rule: "template", Message: fmt.Sprintf(format, args...)}
}
