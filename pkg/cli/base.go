package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
	"gitlab.com/supportmatrix/supportmatrix/templates"
)

// base is the other side of a comparison: the matrix and templates of a git
// ref, or of another matrix file.
type base struct {
	Plan *matrix.Plan
	Hash matrix.TemplateHash
	Name string // what the base is, for messages: a ref or a file
}

// loadBase reads --base: an existing file is a matrix file (its templates are
// the head's); anything else is a git ref, whose matrix file and templates
// directory are read with git show. The embedded default templates are the
// same on both sides unless --templates names a directory in the repository.
func loadBase(ref, matrixPath, templatesDir string, head matrix.TemplateHash) (*base, error) {
	if st, err := os.Stat(ref); err == nil && !st.IsDir() {
		m, err := matrix.Load(ref)
		if err != nil {
			return nil, fmt.Errorf("base %s: %w", ref, err)
		}
		return &base{Plan: matrix.Expand(m), Hash: head, Name: ref}, nil
	}
	g, err := newGitTree(ref, filepath.Dir(matrixPath))
	if err != nil {
		return nil, err
	}
	data, err := g.read(matrixPath)
	if err != nil {
		return nil, fmt.Errorf("base %s: %w", ref, err)
	}
	m, err := matrix.Parse(ref+":"+matrixPath, data)
	if err != nil {
		return nil, fmt.Errorf("base %s: the matrix there does not load (fix it there or compare with another base):\n%w", ref, err)
	}
	hash := head
	if templatesDir != "" {
		hash = g.templateHash(templatesDir)
	}
	return &base{Plan: matrix.Expand(m), Hash: hash, Name: ref}, nil
}

// gitTree reads files of one commit.
type gitTree struct {
	ref, dir, top string
	mu            sync.Mutex
	cache         map[string]string
}

func newGitTree(ref, dir string) (*gitTree, error) {
	if strings.HasPrefix(ref, "-") {
		return nil, fmt.Errorf("--base %q: not a file, nor a git ref", ref)
	}
	top, err := gitOut(dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("--base %s: not a file, and %s is not in a git repository: %w", ref, dir, err)
	}
	if _, err := gitOut(dir, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); err != nil {
		return nil, fmt.Errorf("--base %s: not a file, nor a commit of the repository at %s", ref, strings.TrimSpace(top))
	}
	return &gitTree{ref: ref, dir: dir, top: strings.TrimSpace(top), cache: map[string]string{}}, nil
}

// read returns the file at path (relative to the working directory) as it
// is in the ref.
func (g *gitTree) read(path string) ([]byte, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(g.top, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return nil, fmt.Errorf("%s is outside the repository at %s", path, g.top)
	}
	out, err := gitOut(g.dir, "show", g.ref+":"+filepath.ToSlash(rel))
	if err != nil {
		return nil, fmt.Errorf("git show %s:%s: %w", g.ref, filepath.ToSlash(rel), err)
	}
	return []byte(out), nil
}

// templateHash hashes templates as they are in the ref: the file in dir
// when the ref has it, the embedded default otherwise.
func (g *gitTree) templateHash(dir string) matrix.TemplateHash {
	return func(rel string) string {
		g.mu.Lock()
		defer g.mu.Unlock()
		if h, ok := g.cache[rel]; ok {
			return h
		}
		h := ""
		if data, err := g.read(filepath.Join(dir, rel)); err == nil {
			h = hashBytes(data)
		} else if data, err := fs.ReadFile(templates.Default(), rel); err == nil {
			h = hashBytes(data)
		}
		g.cache[rel] = h
		return h
	}
}

func hashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func gitOut(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return "", errors.New(msg)
		}
		return "", err
	}
	return stdout.String(), nil
}
