package publish

import "gitlab.com/supportmatrix/supportmatrix/pkg/report"

// Levels lists a report's level per distribution × minor ("gke/1.35"), for
// Rendered.Levels.
func Levels(r *report.Report) map[string]string {
	out := map[string]string{}
	for _, d := range r.Distributions {
		for _, v := range d.Versions {
			out[d.ID+"/"+v.Kubernetes.String()] = string(v.Level)
		}
	}
	return out
}
