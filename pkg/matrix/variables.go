package matrix

import "strings"

// ReservedVariablePrefixes and ReservedVariableNames are the CI variable
// names a distribution may not set: the one definition the loader, the
// generator and matrix/schema.json (generated from them) follow. Names are
// compared in upper case. The generator sets SM_* and KUBE_CONTEXT for
// every job; CI_*, GITLAB_*, FF_*, GIT_*, RUNNER_* and DOCKER_* steer GitLab
// and the runner (CI_DEBUG_TRACE prints every variable, masked secrets
// included, to the job log); the rest change how job scripts run (the
// loader, shell start-up hooks) or which cluster they reach.
var (
	ReservedVariablePrefixes = []string{"CI_", "GITLAB_", "FF_", "GIT_", "RUNNER_", "SM_", "LD_", "DOCKER_"}
	ReservedVariableNames    = []string{"PATH", "IFS", "ENV", "BASH_ENV", "PROMPT_COMMAND", "SHELLOPTS", "BASHOPTS", "PS4", "HOME", "SHELL", "KUBE_CONTEXT", "KUBECONFIG", "PARENT_PIPELINE_ID"}
)

// ReservedVariable reports whether a distribution may not set the CI
// variable name, and says why.
func ReservedVariable(name string) (why string, reserved bool) {
	upper := strings.ToUpper(name)
	for _, p := range ReservedVariablePrefixes {
		if strings.HasPrefix(upper, p) {
			if p == "SM_" {
				return "supportmatrix sets SM_* variables for every job", true
			}
			return p + "* variables steer GitLab, the runner or the generated jobs", true
		}
	}
	for _, n := range ReservedVariableNames {
		if upper == n {
			if n == "KUBE_CONTEXT" || n == "PARENT_PIPELINE_ID" {
				return "supportmatrix sets it for the generated jobs", true
			}
			return "it changes how job scripts run or which cluster they reach", true
		}
	}
	return "", false
}
