package program

import (
	"fmt"
	"io"

	"gitlab.com/supportmatrix/supportmatrix/pkg/generate"
)

// WriteText writes what `collect` prints: the run it recorded in
// o.Results and its summary, or why it recorded nothing (Skipped).
func (r *CollectResult) WriteText(w io.Writer, o CollectOptions) error {
	if r.Skipped {
		_, err := fmt.Fprintf(w, "collect: skipped: pipeline %d's cells ran in child pipelines, and a CI job token cannot list trigger jobs before GitLab 19.2; each child pipeline reports on itself (its %q job), or set SUPPORTMATRIX_TOKEN (read_api) to collect here; %s left unchanged\n", o.Pipeline, generate.ReportJob, o.Results)
		return err
	}
	what := fmt.Sprintf("pipeline %d", r.Run.Pipeline)
	if r.Run.Local {
		what = fmt.Sprintf("local run %d", r.Run.Pipeline)
	}
	kind := "preview"
	if r.Run.Counts {
		kind = "counting"
	}
	_, err := fmt.Fprintf(w, "collected %s (%s run): %s -> %s\n", what, kind, r.Summary, o.Results)
	return err
}
