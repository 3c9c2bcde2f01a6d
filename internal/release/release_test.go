package release

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/internal/buildinfo"
)

const root = "../.."

// goreleaserConfig is the part of .goreleaser.yaml the tests check.
type goreleaserConfig struct {
	Builds []struct {
		ID      string   `yaml:"id"`
		Main    string   `yaml:"main"`
		Binary  string   `yaml:"binary"`
		Env     []string `yaml:"env"`
		Goos    []string `yaml:"goos"`
		Goarch  []string `yaml:"goarch"`
		Flags   []string `yaml:"flags"`
		Ldflags []string `yaml:"ldflags"`
	} `yaml:"builds"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
		Algorithm    string `yaml:"algorithm"`
	} `yaml:"checksum"`
	Release struct {
		Disable bool `yaml:"disable"`
	} `yaml:"release"`
}

func readGoreleaser(t *testing.T) goreleaserConfig {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c goreleaserConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	if len(c.Builds) != 1 {
		t.Fatalf(".goreleaser.yaml: %d builds, want the one of cmd/supportmatrix", len(c.Builds))
	}
	return c
}

func TestGoreleaserConfig(t *testing.T) {
	c := readGoreleaser(t)
	b := c.Builds[0]
	if b.Main != "./cmd/supportmatrix" || b.Binary != "supportmatrix" {
		t.Errorf("build main %q binary %q, want ./cmd/supportmatrix and supportmatrix", b.Main, b.Binary)
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") {
		t.Errorf("build env %v: want CGO_ENABLED=0, for static binaries", b.Env)
	}
	if got := strings.Join(b.Goos, ","); got != "linux,darwin" {
		t.Errorf("goos %s, want linux,darwin", got)
	}
	if got := strings.Join(b.Goarch, ","); got != "amd64,arm64" {
		t.Errorf("goarch %s, want amd64,arm64", got)
	}
	if !slices.Contains(b.Flags, "-trimpath") {
		t.Errorf("flags %v: want -trimpath, so that binaries do not carry the build machine's paths", b.Flags)
	}
	if c.Checksum.Algorithm != "sha256" || c.Checksum.NameTemplate != "checksums.txt" {
		t.Errorf("checksum %+v, want sha256 into checksums.txt", c.Checksum)
	}
	if !c.Release.Disable {
		t.Error("release.disable is false: the GitLab release must come from the release keyword, or the CI/CD Catalog does not publish it")
	}
	ld := strings.Join(b.Ldflags, " ")
	for _, v := range []string{"version", "commit", "date"} {
		if !strings.Contains(ld, "-X "+buildinfo.Package+"."+v+"=") {
			t.Errorf("ldflags %q do not set %s.%s", ld, buildinfo.Package, v)
		}
	}
}

// The Makefile's build stamps the same variables, so that `make build` and a
// release print the same kind of --version.
func TestMakefileStampsBuildinfo(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	mk := string(data)
	if !strings.Contains(mk, "BUILDINFO := "+buildinfo.Package+"\n") {
		t.Errorf("Makefile does not set BUILDINFO := %s", buildinfo.Package)
	}
	for _, v := range []string{"version", "commit", "date"} {
		if !strings.Contains(mk, "-X $(BUILDINFO)."+v+"=") {
			t.Errorf("Makefile's LDFLAGS do not set $(BUILDINFO).%s", v)
		}
	}
	if !regexp.MustCompile(`(?m)^build:.*\n\tCGO_ENABLED=0 \$\(GO\) build .*-ldflags "\$\(LDFLAGS\)"`).MatchString(mk) {
		t.Error("make build does not build with CGO_ENABLED=0 and $(LDFLAGS)")
	}
}

func readDockerfile(t *testing.T) *Dockerfile {
	t.Helper()
	df, err := ParseDockerfile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if len(df.Stages) != 2 {
		t.Fatalf("Dockerfile has %d stages, want 2 (tools, image)", len(df.Stages))
	}
	return df
}

var (
	pinnedTagRE = regexp.MustCompile(`^[a-z0-9./-]+:v?\d+\.\d+\.\d+$`)
	sha256RE    = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Every base image is pinned to a full version and every download to a
// version and a sha256 per architecture that GoReleaser builds for.
func TestDockerfilePins(t *testing.T) {
	df := readDockerfile(t)
	global := df.GlobalArgs()
	for _, st := range df.Stages {
		fields := strings.Fields(st.From.Args)
		image := ""
		for _, f := range fields {
			if !strings.HasPrefix(f, "--") {
				image = Expand(f, global)
				break
			}
		}
		if !pinnedTagRE.MatchString(image) {
			t.Errorf("Dockerfile:%d: FROM %s is not pinned to a full version", st.From.Line, image)
		}
	}
	tools := df.Stages[0]
	args := df.Args(tools)
	c := readGoreleaser(t)
	for _, tool := range []string{"KUBECTL", "HELM"} {
		if v := args[tool+"_VERSION"]; !regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(v) {
			t.Errorf("%s_VERSION = %q, want a full version", tool, v)
		}
		for _, arch := range c.Builds[0].Goarch {
			name := tool + "_SHA256_" + strings.ToUpper(arch)
			if !sha256RE.MatchString(args[name]) {
				t.Errorf("%s = %q, want a sha256 for linux/%s (GoReleaser builds it)", name, args[name], arch)
			}
		}
	}
	script := runScript(t, tools, "curl")
	if n, m := strings.Count(script, "curl "), strings.Count(script, "sha256sum -c"); n != m || n == 0 {
		t.Errorf("the download script has %d downloads and %d checksum checks, want one check per download", n, m)
	}
}

// runScript returns the one RUN of st whose script contains marker.
func runScript(t *testing.T, st Stage, marker string) string {
	t.Helper()
	var found []string
	for _, in := range st.Instructions {
		if in.Cmd == "RUN" && strings.Contains(in.Args, marker) && !strings.HasPrefix(in.Args, "apk ") {
			found = append(found, in.Args)
		}
	}
	if len(found) != 1 {
		t.Fatalf("stage %q: %d RUN scripts with %q, want 1", st.From.Args, len(found), marker)
	}
	return found[0]
}

// The image has what the parent pipeline and the default templates call,
// and supportmatrix where GoReleaser put the linux binaries.
func TestDockerfileImage(t *testing.T) {
	df := readDockerfile(t)
	img := df.Stages[1]
	var runs, copies []string
	for _, in := range img.Instructions {
		switch in.Cmd {
		case "RUN":
			runs = append(runs, in.Args)
		case "COPY":
			copies = append(copies, in.Args)
		}
	}
	all := strings.Join(runs, "\n")
	if !regexp.MustCompile(`apk add --no-cache [^\n]*\bgit\b`).MatchString(all) {
		t.Error("the image does not install git")
	}
	for _, tool := range []string{"supportmatrix --version", "kubectl version --client", "helm version", "git --version"} {
		if !strings.Contains(all, tool) {
			t.Errorf("the image build does not run %q to prove the tool works", tool)
		}
	}
	if !slices.Contains(copies, "--from=tools /tools/out/kubectl /tools/out/helm /usr/local/bin/") {
		t.Errorf("the image does not copy kubectl and helm from the tools stage: %v", copies)
	}
	if !slices.Contains(copies, binaryCopy) {
		t.Errorf("the image does not copy the binary with %q: %v", binaryCopy, copies)
	}
}

// binaryCopy is the Dockerfile's COPY of GoReleaser's linux binary.
const binaryCopy = "dist/supportmatrix_linux_${TARGETARCH}_*/supportmatrix /usr/local/bin/supportmatrix"

// TestDockerfileDownloads runs the tools stage's download script as the
// image build would, with a stand-in curl that serves made-up kubectl and
// helm files and records the URLs: the script must fetch the pinned versions
// for the target architecture, refuse a file whose checksum differs, and
// leave both tools executable in out/.
func TestDockerfileDownloads(t *testing.T) {
	df := readDockerfile(t)
	tools := df.Stages[0]
	script := runScript(t, tools, "curl")
	args := df.Args(tools)
	for _, arch := range readGoreleaser(t).Builds[0].Goarch {
		t.Run(arch, func(t *testing.T) {
			kubectl := []byte("kubectl for " + arch)
			helmTar := tarGz(t, "linux-"+arch+"/helm", []byte("helm for "+arch))
			served := t.TempDir()
			writeFile(t, filepath.Join(served, "kubectl"), kubectl)
			writeFile(t, filepath.Join(served, "helm.tar.gz"), helmTar)

			run := func(kubectlSum, helmSum string) (string, string, error) {
				dir := t.TempDir()
				bin := filepath.Join(dir, "bin")
				log := filepath.Join(dir, "urls")
				writeFile(t, filepath.Join(bin, "curl"), []byte(fakeCurl(served, log)))
				if err := os.Chmod(filepath.Join(bin, "curl"), 0o755); err != nil {
					t.Fatal(err)
				}
				work := filepath.Join(dir, "tools")
				if err := os.Mkdir(work, 0o755); err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command("sh", "-c", script)
				cmd.Dir = work
				var env []string
				for k, v := range args {
					env = append(env, k+"="+v)
				}
				// Later entries win: the build arguments the image build passes.
				env = append(env, "PATH="+bin+":"+os.Getenv("PATH"), "TARGETARCH="+arch, "KUBECTL_SHA256_"+strings.ToUpper(arch)+"="+kubectlSum, "HELM_SHA256_"+strings.ToUpper(arch)+"="+helmSum)
				cmd.Env = env
				out, err := cmd.CombinedOutput()
				urls, _ := os.ReadFile(log)
				return work, string(urls), errorWith(err, out)
			}

			// The pinned checksums are those of the real files, not of these.
			if _, _, err := run(args["KUBECTL_SHA256_"+strings.ToUpper(arch)], args["HELM_SHA256_"+strings.ToUpper(arch)]); err == nil {
				t.Fatal("the script accepted files whose sha256 differs from the pins")
			}
			work, urls, err := run(sum(kubectl), sum(helmTar))
			if err != nil {
				t.Fatalf("download script: %v", err)
			}
			want := fmt.Sprintf("https://dl.k8s.io/release/%s/bin/linux/%s/kubectl\nhttps://get.helm.sh/helm-%s-linux-%s.tar.gz\n",
				args["KUBECTL_VERSION"], arch, args["HELM_VERSION"], arch)
			if urls != want {
				t.Errorf("fetched\n%swant\n%s", urls, want)
			}
			for name, body := range map[string]string{"kubectl": "kubectl for " + arch, "helm": "helm for " + arch} {
				p := filepath.Join(work, "out", name)
				got, err := os.ReadFile(p)
				if err != nil || string(got) != body {
					t.Errorf("out/%s = %q, %v; want %q", name, got, err, body)
				}
				if st, err := os.Stat(p); err != nil || st.Mode().Perm()&0o111 == 0 {
					t.Errorf("out/%s is not executable", name)
				}
			}
		})
	}
	t.Run("unknown architecture", func(t *testing.T) {
		cmd := exec.Command("sh", "-c", script)
		cmd.Dir = t.TempDir()
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "TARGETARCH=s390x"}
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "linux/s390x") {
			t.Fatalf("script for s390x: %v, %s; want a refusal naming linux/s390x", err, out)
		}
	})
}

// TestDockerfileShellcheck lints each RUN script as the POSIX sh the image's
// Alpine base runs.
func TestDockerfileShellcheck(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		if os.Getenv("SUPPORTMATRIX_REQUIRE_TOOLS") == "1" {
			t.Fatalf("tools required: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	df := readDockerfile(t)
	for _, st := range df.Stages {
		for _, in := range st.Instructions {
			if in.Cmd != "RUN" {
				continue
			}
			cmd := exec.Command("shellcheck", "--shell=sh", "-")
			cmd.Stdin = strings.NewReader(in.Args + "\n")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("Dockerfile:%d: shellcheck: %v\n%s", in.Line, err, out)
			}
		}
	}
}

// TestSnapshot checks what `make snapshot` (GoReleaser's snapshot release)
// wrote into dist/: the four static binaries where the Dockerfile looks for
// the linux ones, an archive of each, checksums.txt covering them, and a
// binary that prints the release's version and commit.
func TestSnapshot(t *testing.T) {
	dist := filepath.Join(root, "dist")
	data, err := os.ReadFile(filepath.Join(dist, "artifacts.json"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && os.Getenv("SUPPORTMATRIX_REQUIRE_TOOLS") != "1" {
			t.Skip("no dist/: run make snapshot (make test does)")
		}
		t.Fatalf("%v: run make snapshot (make test does)", err)
	}
	var artifacts []struct {
		Name, Path, Goos, Goarch, Type string
	}
	if err := json.Unmarshal(data, &artifacts); err != nil {
		t.Fatalf("artifacts.json: %v", err)
	}
	var meta struct{ Version, Commit string }
	if data, err := os.ReadFile(filepath.Join(dist, "metadata.json")); err != nil || json.Unmarshal(data, &meta) != nil {
		t.Fatalf("metadata.json: %v", err)
	}
	binaries := map[string]string{}
	var archives []string
	checksums := ""
	for _, a := range artifacts {
		switch a.Type {
		case "Binary":
			binaries[a.Goos+"/"+a.Goarch] = filepath.Join(root, a.Path)
		case "Archive":
			archives = append(archives, filepath.Join(root, a.Path))
		case "Checksum":
			checksums = filepath.Join(root, a.Path)
		}
	}
	var platforms []string
	for p := range binaries {
		platforms = append(platforms, p)
	}
	sort.Strings(platforms)
	if got := strings.Join(platforms, " "); got != "darwin/amd64 darwin/arm64 linux/amd64 linux/arm64" {
		t.Fatalf("binaries for %s, want darwin and linux on amd64 and arm64", got)
	}
	for _, arch := range []string{"amd64", "arm64"} {
		p := binaries["linux/"+arch]
		// The Dockerfile's COPY source, as the image build expands it.
		pattern := filepath.Join(root, strings.Replace(strings.Fields(binaryCopy)[0], "${TARGETARCH}", arch, 1))
		matches, err := filepath.Glob(pattern)
		if err != nil || len(matches) != 1 || matches[0] != p {
			t.Errorf("the Dockerfile's COPY for linux/%s matches %v, want GoReleaser's %s", arch, matches, p)
		}
		f, err := elf.Open(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				t.Errorf("%s asks for a dynamic loader: not a static binary", p)
			}
		}
		f.Close()
	}
	if len(archives) != 4 {
		t.Errorf("%d archives, want 4", len(archives))
	}
	sums := readChecksums(t, checksums)
	for _, a := range archives {
		data, err := os.ReadFile(a)
		if err != nil {
			t.Fatal(err)
		}
		if got := sums[filepath.Base(a)]; got != sum(data) {
			t.Errorf("checksums.txt has %q for %s, want %s", got, filepath.Base(a), sum(data))
		}
	}
	if len(sums) != len(archives) {
		t.Errorf("checksums.txt lists %d files, want the %d archives", len(sums), len(archives))
	}
	host := binaries[runtime.GOOS+"/"+runtime.GOARCH]
	if host == "" {
		t.Skipf("no binary for %s/%s to run", runtime.GOOS, runtime.GOARCH)
	}
	out, err := exec.Command(host, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --version: %v\n%s", host, err, out)
	}
	want := fmt.Sprintf("supportmatrix version %s (commit %s, ", meta.Version, meta.Commit)
	if !strings.HasPrefix(string(out), want) {
		t.Errorf("--version printed %q, want it to start with %q", out, want)
	}
}

func readChecksums(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("checksums: %v", err)
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 || !sha256RE.MatchString(fields[0]) {
			t.Fatalf("%s: line %q is not `<sha256>  <file>`", path, sc.Text())
		}
		sums[fields[1]] = fields[0]
	}
	return sums
}

func sum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func tarGz(t *testing.T, name string, body []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fakeCurl is a curl that understands `-o FILE URL`, appends URL to log and
// copies the served file named like the URL's last part (kubectl, or
// helm.tar.gz for helm-*.tar.gz).
func fakeCurl(served, log string) string {
	return `#!/bin/sh
set -eu
out=""
url=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="$2"; shift 2 ;;
    --retry) shift 2 ;;
    -*) shift ;;
    *) url="$1"; shift ;;
  esac
done
echo "$url" >> '` + log + `'
case "$url" in
  */kubectl) cp '` + served + `/kubectl' "$out" ;;
  */helm-*.tar.gz) cp '` + served + `/helm.tar.gz' "$out" ;;
  *) echo "curl: (22) 404 for $url" >&2; exit 22 ;;
esac
`
}

func errorWith(err error, out []byte) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w\n%s", err, out)
}
