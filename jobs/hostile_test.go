package jobs_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"gitlab.com/supportmatrix/supportmatrix/jobs/internal/jobscript"
)

// fakeTool stands in for every program a template runs against the outside
// world: it logs its argv (each argument as LENGTH:BYTES, so that an
// argument holding spaces or newlines stays one argument) and answers what
// the scripts read back: the API server's version, node names, image tags.
// It never runs anything it is given, and runs no program itself (builtins
// only): each process costs milliseconds on a small machine.
const fakeTool = `#!/bin/sh
LC_ALL=C; export LC_ALL
name="${0##*/}"
line="$name"; for a in "$@"; do line="$line ${#a}:$a"; done
printf '%s\n' "$line" >> "$FAKE_LOG" # one write: tools run in the background too
case "$name $*" in
  "kubectl get --raw /version"*)
    if [ -f "$FAKE_DIR/version" ]; then read -r v < "$FAKE_DIR/version"; else v="v${SM_FROM_VERSION:-$SM_K8S_VERSION}.3"; fi
    printf '{\n  "gitVersion": "%s"\n}\n' "$v" ;;
  "kubectl get nodes -o jsonpath"*) printf 'sm-control-plane v%s.3\n' "${SM_TO_VERSION:-$SM_K8S_VERSION}" ;;
  "kubectl get --raw /metrics"*) echo "apiserver_request_total 1" ;;
  "docker ps"*k3d.role=server*) echo "k3d-sm-server-0" ;;
  "docker ps"*k3d.role=agent*) echo "k3d-sm-agent-0" ;;
  "docker ps"*) printf 'sm-control-plane\nsm-worker\n' ;;
  "docker create"*) echo "holder" ;;
  "docker exec"*" kubeadm upgrade apply -y "*) printf '%s\n' "$5" > "$FAKE_DIR/version" ;;
  "docker cp ./k3s.new "*) printf 'v%s.3+k3s1\n' "$SM_TO_VERSION" > "$FAKE_DIR/version" ;;
  "curl "*hub.docker.com*)
    for m in "$SM_K8S_VERSION" "$SM_FROM_VERSION" "$SM_TO_VERSION" "$SM_NODES_VERSION"; do
      printf '{"name": "v%s.4"}, {"name": "v%s.4-k3s1"},\n' "$m" "$m"
    done ;;
  "k3d kubeconfig get"*) echo "apiVersion: v1" ;;
esac
exit 0
`

// fakeNames are the programs faked: the cluster and registry tools, the
// downloads, and the commands that would touch the machine (chmod of
// /usr/local/bin, apk). touch is faked so that an injected `touch` shows in
// the log even when the marker path would not be writable.
var fakeNames = []string{"kubectl", "helm", "docker", "kind", "k3d", "curl", "chmod", "apk", "sleep", "install", "systemctl", "touch"}

// hostileValues returns values that run `touch marker` wherever a shell
// re-reads a value as code: command substitution, backticks, `;`, a newline,
// quotes that close the string, glob characters, and bash's arithmetic
// evaluation of a variable's text.
func hostileValues(marker string) []string {
	return []string{
		"$(touch " + marker + ")",
		"`touch " + marker + "`",
		"x; touch " + marker + "\ntouch " + marker + " && y",
		"'; touch " + marker + "; '",
		"\"; touch " + marker + "; \"",
		"a[$(touch " + marker + ")]",
		"* ? [a-z] " + marker + "*",
	}
}

// varRef finds the environment variables a script reads.
var varRef = regexp.MustCompile(`\$\{?([A-Z][A-Z0-9_]*)`)

// shellOwn are variables of the shell itself, not values a job receives.
var shellOwn = map[string]bool{"PATH": true, "HOME": true, "PWD": true, "IFS": true}

// structural are the variables a script checks before it goes on: a benign
// value lets a run reach the steps past the check with every other variable
// hostile. Empty ones are optional pins that take a looked-up default.
var structural = map[string]string{
	"SM_K8S_VERSION": "1.35", "SM_K8S_MINOR": "1-35", "SM_FROM_VERSION": "1.35", "SM_TO_VERSION": "1.36",
	"SM_NODES_VERSION": "", "KIND_NODE_IMAGE": "", "K3S_IMAGE": "", "KIND_WORKERS": "1",
	"RUNNER_NAMESPACE": "sm-runner", "RUNNER_GITLAB_URL": "https://gitlab.example/",
}

// TestHostileValues runs every default template's script, with the shell
// library, the way the runner runs it, in sh and bash, with a hostile value
// in every variable it reads (SM_*, KUBE_CONTEXT, the distribution variables
// of its variables: block and any other it reads), against fake tools. It
// proves that no value runs a command: no marker file, no `touch` in the
// log, each value reaching a tool as (part of) one argument, and that the
// files a script writes from values keep their structure.
//
// A run sets every variable to the same hostile value ("all hostile"), or
// keeps the structural variables benign and KUBE_CONTEXT a kind-/k3d-
// context with the hostile value after the prefix ("deep"), so that the
// steps past the checks run with hostile values too. -short runs sh only,
// and one run per template: command substitution in both modes and bash's
// arithmetic bait, taken in turn.
func TestHostileValues(t *testing.T) {
	t.Parallel()
	set := mustOpen(t, "")
	rels, err := set.List()
	if err != nil {
		t.Fatal(err)
	}
	fakes := t.TempDir()
	if err := os.WriteFile(filepath.Join(fakes, "fake"), []byte(fakeTool), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range fakeNames {
		if err := os.Symlink("fake", filepath.Join(fakes, name)); err != nil {
			t.Fatal(err)
		}
	}
	shs := shells(t)
	if testing.Short() {
		shs = shs[:1]
	}
	for index, rel := range rels {
		body, err := set.Parse(rel)
		if err != nil {
			t.Fatal(err)
		}
		script, err := jobscript.Build(rel, body)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{"SM_CELL": true, "SM_DISTRIBUTION": true, "SM_FEATURE": true, "SM_CLUSTER_NAME": true, "KUBE_CONTEXT": true}
		for _, m := range varRef.FindAllStringSubmatch(script.Text, -1) {
			if !shellOwn[m[1]] {
				names[m[1]] = true
			}
		}
		var vars struct {
			Variables map[string]string `yaml:"variables"`
		}
		if err := body.Decode(&vars); err != nil {
			t.Fatal(err)
		}
		for k := range vars.Variables {
			names[k] = true
		}
		for _, shell := range shs {
			t.Run(rel+"/"+filepath.Base(shell), func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				marker := filepath.Join(dir, "pwned")
				values := hostileValues(marker)
				type run struct {
					value int
					mode  string
				}
				modes := []string{"all hostile", "deep kind-"}
				if strings.Contains(script.Text, "k3d-*)") {
					modes = append(modes, "deep k3d-") // the script branches on the context's kind
				}
				var runs []run
				for i := range values {
					for _, mode := range modes {
						runs = append(runs, run{i, mode})
					}
				}
				if testing.Short() {
					// One of the three baits per template, in turn, so
					// that each still runs on several templates.
					runs = []run{[]run{{0, "all hostile"}, {5, "all hostile"}, {0, "deep kind-"}}[index%3]}
				}
				for _, r := range runs {
					h := values[r.value]
					env := map[string]string{}
					for n := range names {
						env[n] = h
						if b, ok := structural[n]; ok && r.mode != "all hostile" {
							env[n] = b
						}
					}
					if r.mode != "all hostile" {
						env["KUBE_CONTEXT"] = strings.TrimPrefix(r.mode, "deep ") + h
					}
					runHostile(t, fmt.Sprintf("value %d, %s", r.value, r.mode), shell, fakes, filepath.Join(dir, strconv.Itoa(r.value), r.mode), script, env, h, marker)
				}
			})
		}
	}
}

// runHostile runs one job script and checks what it did.
func runHostile(t *testing.T, label, shell, fakes, dir string, script jobscript.Script, env map[string]string, hostile, marker string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "job.sh")
	if err := os.WriteFile(file, []byte(jobscript.Prelude+script.Text), 0o644); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(dir, "argv.log")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, shell, file)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + fakes + ":" + os.Getenv("PATH"), "HOME=" + dir, "FAKE_LOG=" + logFile, "FAKE_DIR=" + dir}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		cmd.Env = append(cmd.Env, k+"="+env[k])
	}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("%s: %v\n%s", label, err, out)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatalf("%s: a value ran a command: %s exists\n%s", label, marker, out)
	}
	calls, err := readArgvLog(logFile)
	if err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	for _, c := range calls {
		if c[0] == "touch" {
			t.Errorf("%s: a value ran touch %q\n%s", label, c[1:], out)
		}
		for j, a := range c[1:] {
			if strings.Contains(a, marker) && !strings.Contains(a, hostile) {
				t.Errorf("%s: %s got part of a value as argument %d: %q (the value was split or re-read)", label, c[0], j+1, a)
			}
			if (a == "-c" || a == "-ec") && j+2 < len(c) && strings.Contains(c[j+2], marker) {
				t.Errorf("%s: %s runs a shell string built from a value: %q", label, c[0], c[j+2])
			}
		}
	}
	checkWrittenFiles(t, label, dir)
	if entries, _ := filepath.Glob(filepath.Join(dir, "junit", "*.xml")); len(entries) > 0 {
		data, err := os.ReadFile(entries[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parseStrictJUnit(data); err != nil {
			t.Errorf("%s: the report is not valid JUnit: %v\n%s", label, err, data)
		}
	}
}

// readArgvLog reads the fake tools' log: one call a record, "name" then
// " LENGTH:BYTES" per argument, then a newline.
func readArgvLog(file string) ([][]string, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r := bufio.NewReader(bytes.NewReader(data))
	var calls [][]string
	for {
		name, err := r.ReadString(' ')
		if err != nil && !strings.HasSuffix(name, "\n") {
			if name == "" {
				return calls, nil
			}
			return nil, fmt.Errorf("argv log: truncated record %q", name)
		}
		call := []string{strings.TrimRight(name, " \n")}
		for !strings.HasSuffix(name, "\n") {
			n, err := r.ReadString(':')
			if err != nil {
				return nil, fmt.Errorf("argv log: %w", err)
			}
			size, err := strconv.Atoi(strings.TrimSuffix(n, ":"))
			if err != nil {
				return nil, fmt.Errorf("argv log: bad length %q", n)
			}
			arg := make([]byte, size+1) // the argument and the separator after it
			if _, err := io.ReadFull(r, arg); err != nil {
				return nil, fmt.Errorf("argv log: %w", err)
			}
			call = append(call, string(arg[:size]))
			name = string(arg[size:])
			if name != " " && name != "\n" {
				return nil, fmt.Errorf("argv log: bad separator %q after %q", name, arg[:size])
			}
		}
		calls = append(calls, call)
	}
}

// checkWrittenFiles decodes the files the templates write from values and
// checks they have only their keys: a value must not add YAML keys to a kind
// or Helm configuration, nor variables to a dotenv report.
func checkWrittenFiles(t *testing.T, label, dir string) {
	t.Helper()
	strict := func(name string, into any) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(into); err != nil {
			t.Errorf("%s: a value changed the structure of %s: %v\n%s", label, name, err, data)
		}
	}
	var kindConfig struct {
		Kind       string `yaml:"kind"`
		APIVersion string `yaml:"apiVersion"`
		Nodes      []struct {
			Role  string `yaml:"role"`
			Image string `yaml:"image"`
		} `yaml:"nodes"`
	}
	strict("kind-config.yaml", &kindConfig)
	var runnerValues struct {
		GitlabURL string         `yaml:"gitlabUrl"`
		RBAC      map[string]any `yaml:"rbac"`
		Runners   struct {
			Config string `yaml:"config"`
		} `yaml:"runners"`
	}
	strict("runner-values.yaml", &runnerValues)
	if strings.Count(runnerValues.Runners.Config, "\n") > 4 {
		t.Errorf("%s: a value added lines to the runner's config.toml:\n%s", label, runnerValues.Runners.Config)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "cluster.env")); err == nil {
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "KUBE_CONTEXT=") || !strings.HasPrefix(lines[1], "SM_CLUSTER_NAME=") {
			t.Errorf("%s: a value changed the dotenv report:\n%s", label, data)
		}
	}
}
