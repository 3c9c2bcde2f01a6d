// Package gitrepo reads files of one commit of a local git repository with
// the git command: what `plan --base REF` and `generate --base REF` compare
// the working tree with. It is the only package that runs git for the
// program's logic (localci runs git for gitlab-ci-local's scratch
// directory, a different concern). git is looked for in, and runs with, the
// environment the caller gives, never the process's.
package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/internal/environ"
)

// Tree is one commit of the repository holding a directory.
type Tree struct {
	ref, dir, top string
	env           []string
}

// Open resolves ref to a commit of the repository that holds dir. ref must
// name a commit (a branch, a tag, a SHA, HEAD~1...); an option-like ref is
// refused so that it never reaches git as a flag. env (KEY=value) is the
// whole environment git is looked for in (its PATH) and runs with.
func Open(ctx context.Context, ref, dir string, env []string) (*Tree, error) {
	if ref == "" || strings.HasPrefix(ref, "-") {
		return nil, fmt.Errorf("%q: not a git ref", ref)
	}
	top, err := git(ctx, dir, env, "rev-parse", "--show-toplevel")
	if errors.Is(err, errNoGit) {
		return nil, fmt.Errorf("reading %s: %w", ref, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s is not in a git repository: %w", dir, err)
	}
	top = strings.TrimSpace(top)
	if _, err := git(ctx, dir, env, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); err != nil {
		return nil, fmt.Errorf("%s is not a commit of the repository at %s", ref, top)
	}
	return &Tree{ref: ref, dir: dir, top: top, env: env}, nil
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
	out, err := git(ctx, t.dir, t.env, "show", t.ref+":"+filepath.ToSlash(rel))
	if err != nil {
		return nil, fmt.Errorf("git show %s:%s: %w", t.ref, filepath.ToSlash(rel), err)
	}
	return []byte(out), nil
}

// errNoGit is git's absence from the environment's PATH.
var errNoGit = errors.New("git is not in the PATH")

// git runs git in dir with env and returns its standard output; an error
// carries git's own message.
func git(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	bin, ok := environ.LookPath(environ.Get(env, "PATH"), "git")
	if !ok {
		return "", errNoGit
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	// Never nil, which would be the process's environment.
	cmd.Dir, cmd.Env = dir, append(make([]string, 0, len(env)), env...)
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
