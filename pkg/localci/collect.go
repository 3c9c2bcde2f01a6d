package localci

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// reservedKeys are top-level keys of a pipeline file that are not jobs.
var reservedKeys = map[string]bool{
	"include": true, "local_configuration": true, "image": true, "services": true,
	"stages": true, "before_script": true, "default": true, "after_script": true,
	"variables": true, "cache": true, "workflow": true, "spec": true, "page:deploy": true,
}

// pipelineJob is a job as its pipeline file declares it.
type pipelineJob struct {
	name     string
	manual   bool   // when: manual, or a rule that makes it manual
	never    bool   // when: never: GitLab does not create it
	trigger  string // the file a trigger job includes, "" for other jobs
	strategy string // trigger:strategy
}

// readPipeline lists the jobs of a pipeline file in file order.
func readPipeline(file string) ([]pipelineJob, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read pipeline: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("read pipeline %s: %w", file, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("read pipeline %s: not a mapping", file)
	}
	var jobs []pipelineJob
	for i := 0; i+1 < len(root.Content); i += 2 {
		name, body := root.Content[i].Value, root.Content[i+1]
		if reservedKeys[name] || strings.HasPrefix(name, ".") || body.Kind != yaml.MappingNode {
			continue
		}
		when := scalar(mapValue(body, "when"))
		j := pipelineJob{name: name, manual: when == "manual", never: when == "never"}
		if rules := mapValue(body, "rules"); rules != nil && rules.Kind == yaml.SequenceNode {
			for _, r := range rules.Content {
				if scalar(mapValue(r, "when")) == "manual" {
					j.manual = true
				}
			}
		}
		if trigger := mapValue(body, "trigger"); trigger != nil {
			j.trigger, j.strategy = triggerTarget(trigger)
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// triggerTarget returns the base name of the file a trigger includes (its
// first include) and its strategy.
func triggerTarget(n *yaml.Node) (string, string) {
	if n.Kind == yaml.ScalarNode { // trigger: group/project
		return n.Value, ""
	}
	strategy := scalar(mapValue(n, "strategy"))
	include := mapValue(n, "include")
	if include != nil && include.Kind == yaml.SequenceNode && len(include.Content) > 0 {
		include = include.Content[0]
	}
	switch {
	case include == nil:
		return "trigger", strategy
	case include.Kind == yaml.ScalarNode:
		return path.Base(include.Value), strategy
	}
	for _, key := range []string{"artifact", "local", "file", "template"} {
		if f := scalar(mapValue(include, key)); f != "" {
			return path.Base(f), strategy
		}
	}
	return "trigger", strategy
}

// mapValue returns the value of key in mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// scalar returns a scalar node's value, or "".
func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// safeName is gitlab-ci-local's safeDockerString: each run of characters
// outside [A-Za-z0-9_-] becomes its unpadded base64url encoding. Logs and
// artifacts directories are named with it.
var unsafeRunRE = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// ArtifactsDir is where gitlab-ci-local keeps the artifacts of the job
// named name after a run in the project directory dir (jobs of the same
// name in different pipelines share it).
func ArtifactsDir(dir, name string) string {
	return filepath.Join(dir, StateDirName, "artifacts", safeName(name))
}

func safeName(name string) string {
	return unsafeRunRE.ReplaceAllStringFunc(name, func(run string) string {
		return base64.RawURLEncoding.EncodeToString([]byte(run))
	})
}

// collect reads the pipeline files and the state directory after a run and
// matches the job events to jobs.
func collect(dir, file string, events []event) (*Result, error) {
	stateDir := filepath.Join(dir, StateDirName)
	res := &Result{StateDir: stateDir}
	byKey := map[string]int{} // formatted job prefix -> index in res.Jobs
	strategies := map[int]string{}
	children := map[int][]int{} // trigger job index -> job indexes below it

	var walk func(file, label, triggerers string, ancestors []int) error
	walk = func(file, label, triggerers string, ancestors []int) error {
		depth := len(ancestors)
		jobs, err := readPipeline(file)
		if err != nil {
			return err
		}
		for _, j := range jobs {
			if j.never {
				continue
			}
			idx := len(res.Jobs)
			res.Jobs = append(res.Jobs, JobResult{
				Name: j.name, Pipeline: label, Triggerers: triggerers, Trigger: j.trigger != "",
				Started: -1, Finished: -1,
			})
			if j.manual {
				res.Jobs[idx].Status = Manual
			}
			key := fmt.Sprintf("%d\x00%s", depth, formatted(triggerers, j.name))
			if _, dup := byKey[key]; dup {
				res.Warnings = append(res.Warnings, fmt.Sprintf("job %q appears twice in %s", j.name, label))
			}
			byKey[key] = idx
			for _, a := range ancestors {
				children[a] = append(children[a], idx)
			}
			if j.trigger == "" {
				continue
			}
			strategies[idx] = j.strategy
			childFile := filepath.Join(stateDir, "includes", "triggers", j.name+".yml")
			if _, err := os.Stat(childFile); err != nil {
				continue // the trigger job never ran
			}
			chain := j.name
			if triggerers != "" {
				chain = triggerers + " -> " + j.name
			}
			if err := walk(childFile, j.trigger, chain, append(ancestors[:len(ancestors):len(ancestors)], idx)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(filepath.Join(dir, file), path.Base(filepath.ToSlash(file)), "", nil); err != nil {
		return nil, err
	}

	order := 0
	for _, e := range events {
		idx, ok := byKey[fmt.Sprintf("%d\x00%s", e.depth, e.who)]
		if !ok {
			continue // a job's own output that happens to look like an event
		}
		j := &res.Jobs[idx]
		if !e.finished {
			j.Started = order
		} else {
			j.Finished = order
			j.Duration = e.duration
			j.ExitCode = e.exitCode
			switch e.outcome {
			case "FAIL":
				j.Status = Failed
			case "WARN":
				j.Status = AllowedFailure
			default:
				j.Status = Success
			}
		}
		order++
	}

	safeOwners := map[string]string{}
	for i := range res.Jobs {
		j := &res.Jobs[i]
		if j.Trigger {
			continue
		}
		switch {
		case j.Started >= 0 && j.Finished < 0:
			j.Status = Canceled
		case j.Started < 0 && j.Status != Manual:
			j.Status = Skipped
		}
		safe := safeName(j.Name)
		where := j.Triggerers + "/" + j.Name
		if other, dup := safeOwners[safe]; dup {
			res.Warnings = append(res.Warnings, fmt.Sprintf("jobs %s and %s share the log and artifacts of %q", other, where, safe))
		}
		safeOwners[safe] = where
		if j.Started < 0 {
			continue
		}
		if log := filepath.Join(stateDir, "output", safe+".log"); exists(log) {
			j.LogFile = log
		}
		if art := filepath.Join(stateDir, "artifacts", safe); exists(art) {
			j.ArtifactsDir = art
			files, err := junitFiles(art)
			if err != nil {
				return nil, err
			}
			j.JUnitFiles = files
		}
	}
	// Trigger jobs last: their status is their pipeline's.
	for i := len(res.Jobs) - 1; i >= 0; i-- {
		j := &res.Jobs[i]
		if !j.Trigger {
			continue
		}
		below := children[i]
		if !exists(filepath.Join(stateDir, "includes", "triggers", j.Name+".yml")) {
			if j.Status != Manual {
				j.Status = Skipped
			}
			continue
		}
		j.Status = Success
		if strategies[i] == "" {
			continue
		}
		for _, c := range below {
			switch res.Jobs[c].Status {
			case Failed:
				j.Status = Failed
			case Canceled:
				if j.Status != Failed {
					j.Status = Canceled
				}
			}
		}
	}
	return res, nil
}

// formatted is how gitlab-ci-local names a job in its output.
func formatted(triggerers, name string) string {
	if triggerers == "" {
		return name
	}
	return "[" + triggerers + "] -> " + name
}

func junitFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".gitlab-ci-reports" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".xml") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list JUnit files in %s: %w", dir, err)
	}
	sort.Strings(files)
	return files, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
