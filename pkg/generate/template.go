package generate

import (
	"fmt"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/jobs"
)

// Templates gives the generator parsed job templates by their path relative
// to the templates directory: "features/deploy.yml", "clusters/connect.yml",
// "upgrade.yml". *jobs.Set implements it; its Parse refuses the keys
// the generator owns (jobs.Parse is their one definition), so Generate
// does not check them again.
type Templates interface {
	Parse(rel string) (*yaml.Node, error)
}

// templateReader is what a Templates may also offer, as *jobs.Set does:
// the bytes Parse reads for rel and the file they come from. Parse must
// depend on nothing else; the generator then prepares each template's
// bytes once per process (sharedPrepared), not once per Generate or Count.
type templateReader interface {
	Read(rel string) (data []byte, source string, err error)
}

// role says what the generator enforces on a template's body.
type role int

const (
	roleCluster role = iota // provision, connect, teardown, upgrade
	roleFeature             // feature tests: JUnit report uploaded always
)

// defaultJUnit is the report path added to a feature template that declares none.
const defaultJUnit = "junit/*.xml"

// prepared is a template ready for the pipeline: a hidden job (".features/deploy")
// that the jobs using it extend. GitLab merges the job's keys over it, and
// the job's variables over the template's, so the generator's SM_* variables
// win. It is never changed once prepare returns it: Generate and Count
// calls, concurrent ones too, share it (sharedPrepared).
type prepared struct {
	rel  string
	key  string     // the hidden job's name
	body *yaml.Node // the template body with what the generator enforces
	text []byte     // the hidden job, encoded as a top-level mapping entry
	high int        // bytes of text from 144 up (archiveBound)
	size int        // deepSize of the hidden job
	// keyNode is key's scalar in the check trees (checkTrees.job).
	keyNode *yaml.Node
}

// templateCache gives each template of a Generate or Count call, prepared
// once per call, or once per process when its source says which bytes it
// reads (templateReader).
type templateCache struct {
	src   Templates
	image string
	done  map[string]*prepared
}

func (c *templateCache) get(rel string, r role) (*prepared, error) {
	key := rel
	if r == roleFeature {
		key = "feature:" + rel
	}
	if p := c.done[key]; p != nil {
		return p, nil
	}
	k, shared := c.sharedKey(rel, r)
	p := sharedPrepared.get(k, shared)
	if p == nil {
		var err error
		if p, err = c.prepare(rel, r); err != nil {
			return nil, err
		}
		sharedPrepared.put(k, shared, p)
	}
	c.done[key] = p
	return p, nil
}

// sharedKey returns the template's key in sharedPrepared, and false when
// its source does not say which bytes Parse reads.
func (c *templateCache) sharedKey(rel string, r role) (preparedKey, bool) {
	tr, ok := c.src.(templateReader)
	if !ok {
		return preparedKey{}, false
	}
	data, source, err := tr.Read(rel)
	if err != nil {
		return preparedKey{}, false
	}
	return preparedKey{rel: rel, source: source, data: string(data), image: c.image, role: r}, true
}

// preparedKey is everything prepare reads: the template's bytes and the
// file they come from, the default image and the role.
type preparedKey struct {
	rel, source, data, image string
	role                     role
}

// maxSharedPrepared bounds sharedPrepared: a process that generates from
// ever new template bytes keeps at most this many.
const maxSharedPrepared = 256

// sharedPrepared holds the templates the process has prepared, by
// preparedKey: validate, plan and generate on one matrix, and a test's
// many Generate calls, parse and encode each template once. Templates
// that failed are not kept.
var sharedPrepared = &preparedCache{m: map[preparedKey]*prepared{}}

type preparedCache struct {
	mu sync.Mutex
	m  map[preparedKey]*prepared
}

// get returns the template prepared for k, nil when there is none or
// shared is false.
func (c *preparedCache) get(k preparedKey, shared bool) *prepared {
	if !shared {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

// put keeps p for k when shared.
func (c *preparedCache) put(k preparedKey, shared bool, p *prepared) {
	if !shared {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxSharedPrepared {
		clear(c.m)
	}
	c.m[k] = p
}

func (c *templateCache) prepare(rel string, r role) (*prepared, error) {
	doc, err := c.src.Parse(rel)
	if err != nil {
		return nil, err
	}
	body := doc
	if body != nil && body.Kind == yaml.DocumentNode {
		if len(body.Content) == 0 {
			body = nil
		} else {
			body = body.Content[0]
		}
	}
	if body == nil || body.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("template %s: a template is a job body, a YAML mapping with a script", rel)
	}
	// The shell library (jobs/lib/junit.sh) goes first in before_script,
	// so templates and overrides call its functions without copying them.
	body = jobs.WithLibrary(resolve(body))
	p := &prepared{rel: rel, key: "." + strings.TrimSuffix(rel, ".yml")}
	rest := newMapping()
	if get(body, "image") == nil && c.image != "" {
		rest.set("image", str(c.image))
	}
	hasScript := false
	for i := 0; i+1 < len(body.Content); i += 2 {
		k, v := body.Content[i], body.Content[i+1]
		switch {
		case k.Value == "script":
			hasScript = true
		case k.Value == "artifacts" && r == roleFeature:
			v = junitAlways(v)
		}
		rest.n.Content = append(rest.n.Content, k, v)
	}
	if !hasScript {
		return nil, fmt.Errorf("template %s: has no script", rel)
	}
	if r == roleFeature && get(rest.n, "artifacts") == nil {
		rest.set("artifacts", junitAlways(nil))
	}
	p.body = rest.n
	hidden := newMapping()
	hidden.set(p.key, rest.n)
	text, err := encode(hidden.n)
	if err != nil {
		return nil, err
	}
	p.text, p.high = text, highBytes(text)
	p.size = deepSize(hidden.n)
	p.keyNode = str(p.key)
	return p, nil
}

// junitAlways returns the artifacts mapping with when: always and a JUnit
// report (the template's paths, or defaultJUnit), so a failing test still
// uploads its report.
func junitAlways(a *yaml.Node) *yaml.Node {
	out := newMapping()
	if a != nil && a.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(a.Content); i += 2 {
			if a.Content[i].Value == "when" {
				continue
			}
			out.n.Content = append(out.n.Content, a.Content[i], a.Content[i+1])
		}
	}
	reports := get(out.n, "reports")
	if reports == nil || reports.Kind != yaml.MappingNode {
		r := newMapping()
		if reports != nil { // a null reports key: replace its value
			for i := 0; i+1 < len(out.n.Content); i += 2 {
				if out.n.Content[i].Value == "reports" {
					out.n.Content[i+1] = r.n
				}
			}
		} else {
			out.set("reports", r.n)
		}
		reports = r.n
	}
	if get(reports, "junit") == nil {
		reports.Content = append(reports.Content, str("junit"), str(defaultJUnit))
	}
	// when: always first, where readers look for it.
	withWhen := newMapping()
	withWhen.set("when", str("always"))
	withWhen.n.Content = append(withWhen.n.Content, out.n.Content...)
	return withWhen.n
}
