// Package gitrepo reads files of one commit of a local git repository with
// the git command: what `plan --base REF` and `generate --base REF` compare
// the working tree with. It is the only package that runs git for the
// program's logic (localci runs git for gitlab-ci-local's scratch
// directory, a different concern).
package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// Tree is one commit of the repository holding a directory.
type Tree struct {
	ref, dir, top string
}

// Open resolves ref to a commit of the repository that holds dir. ref must
// name a commit (a branch, a tag, a SHA, HEAD~1...); an option-like ref is
// refused so that it never reaches git as a flag.
func Open(ctx context.Context, ref, dir string) (*Tree, error) {
	if ref == "" || strings.HasPrefix(ref, "-") {
		return nil, fmt.Errorf("%q: not a git ref", ref)
	}
	top, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("%s is not in a git repository: %w", dir, err)
	}
	top = strings.TrimSpace(top)
	if _, err := git(ctx, dir, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); err != nil {
		return nil, fmt.Errorf("%s is not a commit of the repository at %s", ref, top)
	}
	return &Tree{ref: ref, dir: dir, top: top}, nil
}

// Ref is the ref the tree was opened at.
func (t *Tree) Ref() string { return t.ref }

// ReadFile returns the file at path (relative to the working directory, or
// absolute) as it is in the commit.
func (t *Tree) ReadFile(ctx context.Context, path string) ([]byte, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	// The top level git prints has symlinks resolved; so must the path.
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(dir, filepath.Base(abs))
	}
	top := t.top
	if resolved, err := filepath.EvalSymlinks(top); err == nil {
		top = resolved
	}
	rel, err := filepath.Rel(top, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("%s is outside the repository at %s", path, t.top)
	}
	out, err := git(ctx, t.dir, "show", t.ref+":"+filepath.ToSlash(rel))
	if err != nil {
		return nil, fmt.Errorf("git show %s:%s: %w", t.ref, filepath.ToSlash(rel), err)
	}
	return []byte(out), nil
}

// git runs git in dir and returns its standard output; an error carries
// git's own message.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
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
