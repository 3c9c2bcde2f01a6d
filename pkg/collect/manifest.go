// Package collect turns the outcome of a generated pipeline into one run of
// the results history: it reads the jobs of a pipeline tree as pkg/ci's
// domain types, which pkg/gitlab makes from a GitLab pipeline and pkg/localci
// from a gitlab-ci-local run, maps them to cells through the manifest that
// generate wrote, and decides each cell's status.
//
// Status of a cell, from its newest job attempt (GitLab's truth, never
// guessed):
//
//	success                      passed (flaky when an earlier attempt failed)
//	failed, allow_failure        allowed_failure
//	failed                       failed
//	canceled, canceling          canceled
//	skipped                      skipped (GitLab skips the rest of a chain whose prepare failed)
//	manual (never played)        not_run, reason "manual job never played"
//	created, pending, running…   not_run, and the run is marked incomplete (every
//	                             other status of ci.Statuses)
//	no job in the pipeline       not_run, reason "no job ... in the pipeline"
//	excluded by the matrix       excluded, with the rule's reason
//
// A cell with several jobs (an upgrade and its verification jobs) takes the
// worst of them: failed, canceled, not_run, skipped, allowed_failure, flaky,
// passed. "stale" is never decided here: it depends on the report date.
package collect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
)

// The manifest is generate's format; collect reads it with generate's types.
type (
	// Manifest lists the jobs a generated pipeline holds and the cell each
	// one proves (D/manifest.json).
	Manifest = generate.Manifest
	// ManifestJob is one generated job.
	ManifestJob = generate.ManifestJob
)

// ManifestSchema identifies the manifest format generate writes.
const ManifestSchema = generate.ManifestSchema

// Job kinds in the manifest (a cell's kind in the results is
// cellid.KindOf its id).
const (
	KindTest    = generate.KindTest
	KindUpgrade = generate.KindUpgrade
	KindPrepare = generate.KindPrepare
	KindCleanup = generate.KindCleanup
	KindTrigger = generate.KindTrigger
)

// ReadManifest loads and checks a manifest file.
func ReadManifest(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	return ParseManifest(path, data)
}

// ParseManifest decodes a manifest. Unknown fields are tolerated (a newer
// generate may add some); a wrong schema, a job without name or file, and
// a job name listed twice in one file are errors naming the file.
func ParseManifest(name string, data []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", name, err)
	}
	if m.Schema != ManifestSchema {
		return nil, fmt.Errorf("manifest %s: schema %q, want %q", name, m.Schema, ManifestSchema)
	}
	seen := map[[2]string]bool{}
	for i, j := range m.Jobs {
		if j.Name == "" || j.File == "" {
			return nil, fmt.Errorf("manifest %s: jobs[%d]: name and file are required", name, i)
		}
		if j.Kind == "" {
			return nil, fmt.Errorf("manifest %s: job %q: no kind", name, j.Name)
		}
		k := [2]string{j.File, j.Name}
		if seen[k] {
			return nil, fmt.Errorf("manifest %s: job %q listed twice in %s", name, j.Name, j.File)
		}
		seen[k] = true
	}
	return &m, nil
}

// KindReport is the kind of a file's self-report job (generate.ReportJobName).
const KindReport = generate.KindReport

// Scope returns the manifest collect matches jobs with: without the
// self-report jobs, which are a view of the run and never part of it (the
// one collecting right now would read as not finished and move the run's
// finish time), and, when file is not "", with only the jobs of that
// generated file (a report job collects its own pipeline: pipeline.yml, or
// one shard). A file the manifest does not name is ErrManifestMismatch.
func Scope(m *Manifest, file string) (*Manifest, error) {
	out := *m
	out.Jobs = make([]ManifestJob, 0, len(m.Jobs))
	found := file == ""
	for _, j := range m.Jobs {
		if file != "" && j.File != file {
			continue
		}
		found = true
		if j.Kind != KindReport {
			out.Jobs = append(out.Jobs, j)
		}
	}
	if !found {
		return nil, fmt.Errorf("%w: it lists no job of file %s", ErrManifestMismatch, file)
	}
	return &out, nil
}
