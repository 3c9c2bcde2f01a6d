// Package localci runs GitLab CI pipelines on this machine with
// gitlab-ci-local (https://github.com/firecow/gitlab-ci-local), an independent
// runner of GitLab CI YAML published on npm, and reads back what each job did.
//
// gitlab-ci-local's exit status does not say how the jobs went (a failing
// job of a child pipeline does not fail the parent), so Run reads its job
// events and the files it writes under the state directory instead:
// artifacts/<job>/ (what each job exported), output/<job>.log (each job's
// log) and includes/triggers/<trigger job>.yml (each child pipeline).
package localci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"gitlab.com/supportmatrix/supportmatrix/internal/environ"
)

// Version is the gitlab-ci-local release supportmatrix runs: later releases
// need Node 22.
const Version = "4.70.1"

// NodeMajor is the oldest Node.js release Version runs on here, the one
// Find asks for when npm or node is missing.
const NodeMajor = 20

// EnvBinary names the environment variable that points at a gitlab-ci-local
// executable, taking precedence over every other place.
const EnvBinary = "SUPPORTMATRIX_GITLAB_CI_LOCAL"

// ErrNotFound means no gitlab-ci-local executable was found.
var ErrNotFound = errors.New("gitlab-ci-local not found")

// binRel is where `npm install --prefix DIR` puts the executable.
var binRel = filepath.Join("node_modules", ".bin", "gitlab-ci-local")

// LookupIn returns the path of an installed gitlab-ci-local without
// installing one: $SUPPORTMATRIX_GITLAB_CI_LOCAL, then .tools/node_modules/.bin
// in dir ("" is the working directory) or one of its parents (where `make
// tools` installs it), then the user cache directory (CacheDir, where Find
// installs it), then $PATH. The variables are read with getenv, never from
// the process: a caller (a test) may give any environment.
func LookupIn(getenv func(string) string, dir string) (string, error) {
	if p := getenv(EnvBinary); p != "" {
		if !environ.Executable(p) {
			return "", fmt.Errorf("%s=%s: not an executable file", EnvBinary, p)
		}
		return p, nil
	}
	if abs, err := filepath.Abs(dir); err == nil {
		for d := abs; ; d = filepath.Dir(d) {
			if p := filepath.Join(d, ".tools", binRel); environ.Executable(p) {
				return p, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if cache, err := CacheDir(getenv); err == nil {
		if p := filepath.Join(cache, binRel); environ.Executable(p) {
			return p, nil
		}
	}
	if p, ok := lookPath(getenv, "gitlab-ci-local"); ok {
		return p, nil
	}
	return "", ErrNotFound
}

// lookPath finds the executable name in the directories of getenv("PATH")
// (environ.LookPath: like exec.LookPath since Go 1.19, it passes over
// relative directories, so a checked-out file never runs by accident).
func lookPath(getenv func(string) string, name string) (string, bool) {
	return environ.LookPath(getenv("PATH"), name)
}

// Find returns the path of gitlab-ci-local like LookupIn, and installs it
// into CacheDir with npm when it is found nowhere; progress of the
// installation goes to log (which may be nil). env (KEY=value) is the
// whole environment: LookupIn's and CacheDir's variables are read from it,
// and npm runs with it.
func Find(ctx context.Context, env []string, dir string, log io.Writer) (string, error) {
	getenv := environ.Getenv(env)
	if p, err := LookupIn(getenv, dir); err == nil || !errors.Is(err, ErrNotFound) {
		return p, err
	}
	cache, err := CacheDir(getenv)
	if err != nil {
		return "", fmt.Errorf("find gitlab-ci-local: %w", err)
	}
	return Install(ctx, env, cache, log)
}

// CacheDir is where Find installs gitlab-ci-local: supportmatrix/ under the
// user cache directory, which it finds as os.UserCacheDir does (Go's
// src/os/file.go), but in the variables getenv gives rather than the
// process's: $XDG_CACHE_HOME, else $HOME/.cache (~/.cache on Linux);
// $HOME/Library/Caches on macOS; %LocalAppData% on Windows.
func CacheDir(getenv func(string) string) (string, error) {
	var dir string
	switch runtime.GOOS {
	case "windows":
		if dir = getenv("LocalAppData"); dir == "" {
			return "", errors.New("user cache directory: %LocalAppData% is not defined")
		}
	case "darwin", "ios":
		home := getenv("HOME")
		if home == "" {
			return "", errors.New("user cache directory: $HOME is not defined")
		}
		dir = filepath.Join(home, "Library", "Caches")
	default:
		dir = getenv("XDG_CACHE_HOME")
		switch {
		case dir == "" && getenv("HOME") == "":
			return "", errors.New("user cache directory: neither $XDG_CACHE_HOME nor $HOME are defined")
		case dir == "":
			dir = filepath.Join(getenv("HOME"), ".cache")
		case !filepath.IsAbs(dir):
			return "", fmt.Errorf("user cache directory: $XDG_CACHE_HOME=%s is relative", dir)
		}
	}
	return filepath.Join(dir, "supportmatrix"), nil
}

// Install runs `npm install --prefix dir gitlab-ci-local@Version` and returns
// the installed executable; npm's output goes to log (which may be nil).
// npm and node are looked for in the PATH of env (KEY=value), and npm runs
// with env.
func Install(ctx context.Context, env []string, dir string, log io.Writer) (string, error) {
	getenv := environ.Getenv(env)
	npm, ok := lookPath(getenv, "npm")
	if !ok {
		return "", fmt.Errorf("install gitlab-ci-local %s: npm not found in $PATH: install Node.js %d or later "+
			"(it brings npm), or point %s at a gitlab-ci-local executable: %w", Version, NodeMajor, EnvBinary, ErrNotFound)
	}
	if _, ok := lookPath(getenv, "node"); !ok {
		return "", fmt.Errorf("install gitlab-ci-local %s: node not found in $PATH: install Node.js %d or later: %w", Version, NodeMajor, ErrNotFound)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("install gitlab-ci-local: %w", err)
	}
	if log == nil {
		log = io.Discard
	}
	var out strings.Builder
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--prefix", dir, "gitlab-ci-local@"+Version)
	cmd.Env = cleanEnv(env)
	cmd.Stdout = io.MultiWriter(log, &out)
	cmd.Stderr = cmd.Stdout
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("install gitlab-ci-local %s with npm into %s: %w\n%s", Version, dir, err, tail(out.String(), 20))
	}
	p := filepath.Join(dir, binRel)
	if !environ.Executable(p) {
		return "", fmt.Errorf("install gitlab-ci-local %s: npm succeeded but %s is missing", Version, p)
	}
	return p, nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
