package program

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"gitlab.com/supportmatrix/supportmatrix/jobs"
	"gitlab.com/supportmatrix/supportmatrix/pkg/gitrepo"
	"gitlab.com/supportmatrix/supportmatrix/pkg/matrix"
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
// directory are read with git show, git running in env. The embedded
// default templates are the same on both sides unless --templates names a
// directory in the repository.
func loadBase(ctx context.Context, ref string, env []string, matrixPath, templatesDir string, head matrix.TemplateHash) (*base, error) {
	if st, err := os.Stat(ref); err == nil && !st.IsDir() {
		m, err := matrix.Load(ref)
		if err != nil {
			return nil, fmt.Errorf("base %s: %w", ref, err)
		}
		return &base{Plan: matrix.Expand(m), Hash: head, Name: ref}, nil
	}
	tree, err := gitrepo.Open(ctx, ref, filepath.Dir(matrixPath), env)
	if err != nil {
		return nil, fmt.Errorf("--base %s: not a file, and %w", ref, err)
	}
	data, err := tree.ReadFile(ctx, matrixPath)
	if err != nil {
		return nil, fmt.Errorf("base %s: %w", ref, err)
	}
	m, err := matrix.Parse(ref+":"+matrixPath, data)
	if err != nil {
		return nil, fmt.Errorf("base %s: the matrix there does not load (fix it there or compare with another base):\n%w", ref, err)
	}
	hash := head
	if templatesDir != "" {
		hash = treeTemplateHash(ctx, tree, templatesDir)
	}
	return &base{Plan: matrix.Expand(m), Hash: hash, Name: ref}, nil
}

// treeTemplateHash hashes templates as they are in the tree (jobs.
// TemplateHash): the file in dir when the commit has it, the embedded
// default otherwise, each with the shell library the commit has in dir
// (jobs.LibraryRel; the embedded one when it has none), so that a base
// whose library differs marks every cell changed.
func treeTemplateHash(ctx context.Context, tree *gitrepo.Tree, dir string) matrix.TemplateHash {
	var lib []byte
	return memoHash(func(rel string) string {
		if lib == nil {
			lib = []byte(jobs.LibrarySource())
			if data, err := tree.ReadFile(ctx, filepath.Join(dir, jobs.LibraryRel)); err == nil {
				lib = data
			}
		}
		if data, err := tree.ReadFile(ctx, filepath.Join(dir, rel)); err == nil {
			return jobs.TemplateHash(lib, data)
		}
		if data, err := fs.ReadFile(jobs.Default(), rel); err == nil {
			return jobs.TemplateHash(lib, data)
		}
		return ""
	})
}

// memoHash answers each template once: matrix.Compare asks for the same
// few templates once per cell, thousands of times, and each answer reads
// the template and hashes it with the library. Calls are serialised.
func memoHash(hash matrix.TemplateHash) matrix.TemplateHash {
	var mu sync.Mutex
	cache := map[string]string{}
	return func(rel string) string {
		mu.Lock()
		defer mu.Unlock()
		h, ok := cache[rel]
		if !ok {
			h = hash(rel)
			cache[rel] = h
		}
		return h
	}
}

// change is the head plan against --base: the diff and the cells a
// merge-request pipeline runs for it (matrix.Diff.Scope).
type change struct {
	base  *base
	diff  matrix.Diff
	scope []string
}

// changeScope compares the head plan with --base: the one computation
// behind plan's change, generate's changed profile and generate --plan.
func changeScope(ctx context.Context, ref string, env []string, matrixPath, templatesDir string, head *matrix.Plan, set *jobs.Set) (*change, error) {
	hash := memoHash(set.Hash)
	b, err := loadBase(ctx, ref, env, matrixPath, templatesDir, hash)
	if err != nil {
		return nil, err
	}
	d := matrix.Compare(b.Plan, head, b.Hash, hash)
	return &change{base: b, diff: d, scope: d.Scope(head)}, nil
}
