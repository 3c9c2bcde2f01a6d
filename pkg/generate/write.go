package generate

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// generated matches the names generate writes (PipelineFile, ManifestFile,
// PlanFile, the shards); Write replaces a directory only when it holds
// nothing else.
var generated = regexp.MustCompile(`^(` + regexp.QuoteMeta(PipelineFile) + `|` + regexp.QuoteMeta(ManifestFile) + `|` + regexp.QuoteMeta(PlanFile) + `|shard-[0-9]+\.yml)$`)

// Write puts the files into dir atomically: they are written to a new
// directory next to dir, which then replaces dir in one rename. A failure
// leaves dir as it was. Write refuses to replace a directory holding files
// it did not generate.
func (o *Output) Write(dir string) error {
	dir = filepath.Clean(dir)
	if old, err := os.ReadDir(dir); err == nil {
		for _, e := range old {
			if !generated.MatchString(e.Name()) {
				return fmt.Errorf("write %s: it holds %s, which generate did not write; give --out an empty or generated directory", dir, e.Name())
			}
		}
	} else if !os.IsNotExist(err) {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".new-")
	if err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	for _, f := range o.Files {
		if err := os.WriteFile(filepath.Join(tmp, f.Name), f.Data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(dir, f.Name), err)
		}
	}
	var backup string
	if _, err := os.Stat(dir); err == nil {
		backup = tmp + ".old"
		if err := os.Rename(dir, backup); err != nil {
			return fmt.Errorf("write %s: %w", dir, err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if backup != "" {
			_ = os.Rename(backup, dir) // best effort: the error below is the one to report
		}
		return fmt.Errorf("write %s: %w", dir, err)
	}
	done = true
	if backup != "" {
		if err := os.RemoveAll(backup); err != nil {
			return fmt.Errorf("write %s: remove the previous output: %w", dir, err)
		}
	}
	return nil
}
