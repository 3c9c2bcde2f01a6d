package localci

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"gitlab.com/supportmatrix/supportmatrix/internal/environ"
)

// env is a getenv over a fixed environment: the tests read nothing of the
// process's, so they run in parallel.
func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

// executable writes an executable file at dir/name and returns its path.
func executable(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLookupInEnv: $SUPPORTMATRIX_GITLAB_CI_LOCAL, as getenv gives it,
// wins, and a variable that names no executable is an error, not a search
// elsewhere.
func TestLookupInEnv(t *testing.T) {
	t.Parallel()
	bin := executable(t, t.TempDir(), "gcl")
	got, err := LookupIn(env(map[string]string{EnvBinary: bin}), t.TempDir())
	if err != nil || got != bin {
		t.Errorf("LookupIn with %s=%s: %q, %v", EnvBinary, bin, got, err)
	}
	missing := filepath.Join(t.TempDir(), "none")
	if _, err := LookupIn(env(map[string]string{EnvBinary: missing}), t.TempDir()); err == nil || !strings.Contains(err.Error(), "not an executable") {
		t.Errorf("LookupIn with %s=%s: %v, want not an executable", EnvBinary, missing, err)
	}
}

// TestLookPath: the PATH getenv gives is searched in order; relative
// entries and files that are not executable are passed over.
func TestLookPath(t *testing.T) {
	t.Parallel()
	first, second := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(first, "gitlab-ci-local"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	want := executable(t, second, "gitlab-ci-local")
	path := strings.Join([]string{"", ".", "rel", first, second}, string(os.PathListSeparator))
	if got, ok := lookPath(env(map[string]string{"PATH": path}), "gitlab-ci-local"); !ok || got != want {
		t.Errorf("lookPath in %s: %q, %v; want %q", path, got, ok, want)
	}
	if got, ok := lookPath(env(nil), "gitlab-ci-local"); ok {
		t.Errorf("lookPath without PATH found %q", got)
	}
}

// TestCacheDir: the user cache directory comes from the variables getenv
// gives, by os.UserCacheDir's rules for Linux and the other Unix systems.
func TestCacheDir(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		t.Skipf("the cases are the Unix rules; %s has its own", runtime.GOOS)
	}
	tests := []struct {
		name string
		env  map[string]string
		want string // "" for an error
	}{
		{"XDG_CACHE_HOME", map[string]string{"XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"}, "/xdg/supportmatrix"},
		{"HOME", map[string]string{"HOME": "/home/u"}, "/home/u/.cache/supportmatrix"},
		{"relative XDG_CACHE_HOME", map[string]string{"XDG_CACHE_HOME": "cache", "HOME": "/home/u"}, ""},
		{"neither", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := CacheDir(env(tt.env))
			switch {
			case tt.want == "" && err == nil:
				t.Errorf("CacheDir = %q, want an error", got)
			case tt.want != "" && (err != nil || got != tt.want):
				t.Errorf("CacheDir = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// fakeNPM writes an npm into a new directory that does what `npm install
// --prefix DIR` does for gitlab-ci-local (puts an executable in
// DIR/node_modules/.bin) and records its arguments and $MARK in DIR/npm.log,
// and a node beside it; it returns the directory.
func fakeNPM(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	script := `#!/bin/sh
prefix=
while [ $# -gt 0 ]; do
	if [ "$1" = --prefix ]; then prefix=$2; fi
	last=$1
	shift
done
/bin/mkdir -p "$prefix/node_modules/.bin" || exit 1
printf '#!/bin/sh\n' >"$prefix/node_modules/.bin/gitlab-ci-local"
/bin/chmod +x "$prefix/node_modules/.bin/gitlab-ci-local"
printf '%s %s\n' "$last" "$MARK" >"$prefix/npm.log"
echo installed
`
	if err := os.WriteFile(filepath.Join(dir, "npm"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	executable(t, dir, "node")
	return dir
}

// TestFindInstalls: with gitlab-ci-local nowhere, Find installs it with the
// npm of the environment's PATH, running it in that environment, into the
// cache directory of that environment; then LookupIn finds it there.
// Without npm or node in the PATH given it says what is missing.
func TestFindInstalls(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("the fake npm is a shell script")
	}
	cache := t.TempDir()
	npmDir := fakeNPM(t)
	vars := []string{"PATH=" + npmDir, "XDG_CACHE_HOME=" + cache, "HOME=" + t.TempDir(), "MARK=from-env"}
	getenv := environ.Getenv(vars)
	want, err := CacheDir(getenv)
	if err != nil {
		t.Fatal(err)
	}
	want = filepath.Join(want, binRel)
	var log strings.Builder
	got, err := Find(context.Background(), vars, t.TempDir(), &log)
	if err != nil || got != want {
		t.Fatalf("Find = %q, %v; want %q installed\n%s", got, err, want, log.String())
	}
	if !strings.Contains(log.String(), "installed") {
		t.Errorf("npm's output did not reach the log: %q", log.String())
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(want))), "npm.log"))
	if err != nil || string(data) != "gitlab-ci-local@"+Version+" from-env\n" {
		t.Errorf("npm.log = %q, %v: want npm given gitlab-ci-local@%s and the environment's MARK", data, err, Version)
	}
	if again, err := LookupIn(getenv, t.TempDir()); err != nil || again != want {
		t.Errorf("LookupIn after the install = %q, %v; want the cache's %q", again, err, want)
	}

	onlyNPM := t.TempDir()
	if err := os.Rename(filepath.Join(fakeNPM(t), "npm"), filepath.Join(onlyNPM, "npm")); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, path, want string
	}{
		{"no npm", t.TempDir(), "npm not found"},
		{"no node", onlyNPM, "node not found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Find(context.Background(), []string{"PATH=" + tt.path, "XDG_CACHE_HOME=" + t.TempDir(), "HOME=" + t.TempDir()}, t.TempDir(), nil)
			if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Find = %v, want ErrNotFound saying %s", err, tt.want)
			}
		})
	}
}

// TestReadsNothingOfTheProcess: no non-test file of the package, nor of
// the other two that start programs or read environments (pkg/gitrepo,
// internal/environ), calls a function that reads the process's
// environment, working directory or PATH, or starts a program by a bare
// name (exec.Command looks for it in the process's PATH); the environment
// is an input (Options.Env, Find's env, getenv), so that tests give their
// own and run in parallel.
func TestReadsNothingOfTheProcess(t *testing.T) {
	t.Parallel()
	banned := map[string]bool{
		"os.Getenv": true, "os.LookupEnv": true, "os.Environ": true, "os.ExpandEnv": true,
		"os.UserCacheDir": true, "os.UserHomeDir": true, "os.UserConfigDir": true, "os.Getwd": true,
		"exec.LookPath": true,
	}
	var files []string
	for _, dir := range []string{".", "../gitrepo", "../../internal/environ"} {
		found, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(found) == 0 {
			t.Fatalf("%s: %v, %d files", dir, err, len(found))
		}
		files = append(files, found...)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if pkg, ok := sel.X.(*ast.Ident); ok && banned[pkg.Name+"."+sel.Sel.Name] {
					t.Errorf("%s: %s.%s reads the process's environment: take it as an input", fset.Position(sel.Pos()), pkg.Name, sel.Sel.Name)
				}
			}
			// exec.Command("git", ...) looks for git in the process's PATH.
			if call, ok := n.(*ast.CallExpr); ok {
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
					if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "exec" && (sel.Sel.Name == "Command" || sel.Sel.Name == "CommandContext") {
						name := call.Args[0]
						if sel.Sel.Name == "CommandContext" {
							name = call.Args[1]
						}
						if lit, ok := name.(*ast.BasicLit); ok && !strings.Contains(lit.Value, "/") {
							t.Errorf("%s: exec.%s(%s) looks for it in the process's PATH: look it up in the environment given", fset.Position(call.Pos()), sel.Sel.Name, lit.Value)
						}
					}
				}
			}
			return true
		})
	}
}

// TestEnviron: an environment held as a value is read as a command started
// with it reads it (the last entry of a name wins, os/exec's dedupEnv), a
// name matches whole, and a PATH lookup takes the first absolute directory
// with the executable, passing over relative ones and non-executables.
func TestEnviron(t *testing.T) {
	t.Parallel()
	env := []string{"A=1", "AB=2", "A=3", "E=", "NOEQUALS"}
	for name, want := range map[string]string{"A": "3", "AB": "2", "E": "", "NOEQUALS": "", "B": ""} {
		if got := environ.Get(env, name); got != want {
			t.Errorf("Get(%q) = %q, want %q", name, got, want)
		}
	}
	if got := environ.Getenv(nil)("A"); got != "" {
		t.Errorf("a nil environment gives %q", got)
	}
	plain, first, second := t.TempDir(), t.TempDir(), t.TempDir()
	for dir, mode := range map[string]os.FileMode{plain: 0o644, first: 0o755, second: 0o755} {
		if err := os.WriteFile(filepath.Join(dir, "tool"), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	path := strings.Join([]string{"", "relative", plain, first, second}, string(filepath.ListSeparator))
	if got, ok := environ.LookPath(path, "tool"); !ok || got != filepath.Join(first, "tool") {
		t.Errorf("LookPath = %q, %v; want %s", got, ok, filepath.Join(first, "tool"))
	}
	if got, ok := environ.LookPath(plain, "tool"); ok {
		t.Errorf("LookPath found %q, which is not executable", got)
	}
}
