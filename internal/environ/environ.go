// Package environ reads an environment held as a value: KEY=value entries,
// as os.Environ gives them and exec.Cmd.Env takes them. The program's
// packages take their environment as an input, never the process's, so
// that what they look up is what the programs they start are given, and
// tests can run in parallel. pkg/localci's tests test it (TestEnviron),
// rather than a race test binary of its own.
package environ

import (
	"os"
	"path/filepath"
	"strings"
)

// Get returns the value of name in env, "" when it has none. The last
// entry of a name wins, as it does for a command started with env
// (os/exec's dedupEnv), so Get reads what such a command reads.
func Get(env []string, name string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == name {
			return v
		}
	}
	return ""
}

// Getenv returns Get over env, for code written against os.Getenv's shape.
func Getenv(env []string) func(string) string {
	return func(name string) string { return Get(env, name) }
}

// LookPath finds the executable name in the directories of path (a PATH
// value), as exec.LookPath does in the process's PATH; relative
// directories are skipped, as exec.LookPath refuses what they find
// (exec.ErrDot).
func LookPath(path, name string) (string, bool) {
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) {
			continue
		}
		if p := filepath.Join(dir, name); Executable(p) {
			return p, true
		}
	}
	return "", false
}

// Executable reports whether p is a file that someone may execute.
func Executable(p string) bool {
	info, err := os.Stat(p)
	return err == nil && !info.IsDir() && info.Mode()&0o111 != 0
}
