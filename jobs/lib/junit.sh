# supportmatrix JUnit helpers (jobs/lib/junit.sh): the generator puts this
# library first in every template job's before_script, so a template (or an
# override) calls these functions and keeps only its own steps. POSIX sh.
mkdir -p junit
JUNIT_FAILURES=0
JUNIT_NL='
'
# junit_escape VALUE: sets _esc to VALUE escaped for XML, trailing newlines
# dropped; sed runs only where there is something to escape (a process each).
junit_escape() {
  case "$1" in
    *[\&\<\>\"]*) _esc="$(printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g')" ;;
    *) _esc="${1%"${1##*[!"$JUNIT_NL"]}"}" ;;
  esac
}
# junit_start NAME: collect test cases for junit/NAME.xml, written when the
# shell exits, also when a signal (job cancelled or timed out) stops it.
junit_start() {
  JUNIT_CLASS="$1"
  JUNIT_FILE="junit/$1.xml"
  JUNIT_CASES="junit/.$1.cases"
  : > "$JUNIT_CASES"
  trap junit_write EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
# junit_case CLASSNAME NAME passed|failed|skipped [OUTPUT]
junit_case() {
  junit_escape "$1"; _class="$_esc"
  junit_escape "$2"; _case="$_esc"
  junit_escape "${4:-}"
  {
    printf '  <testcase classname="%s" name="%s">\n' "$_class" "$_case"
    case "$3" in
      failed) printf '    <failure message="%s failed"/>\n' "$_case" ;;
      skipped) printf '    <skipped/>\n' ;;
    esac
    printf '    <system-out>%s</system-out>\n  </testcase>\n' "$_esc"
  } >> "$JUNIT_CASES"
  if [ "$3" = failed ]; then JUNIT_FAILURES=$((JUNIT_FAILURES + 1)); fi
}
# check NAME COMMAND...: run COMMAND, show its output, record it as a test case.
check() {
  _name="$1"; shift
  : > "$JUNIT_CASES.rc"
  { if "$@" 2>&1; then _r=0; else _r=$?; fi; echo "$_r" > "$JUNIT_CASES.rc"; } | tee "$JUNIT_CASES.out"
  read -r _rc < "$JUNIT_CASES.rc"
  _out="$(cat "$JUNIT_CASES.out")"
  if [ "$_rc" -eq 0 ]; then
    junit_case "$JUNIT_CLASS" "$_name" passed "$_out"
  else
    echo "FAILED: $_name (exit status $_rc)"
    junit_case "$JUNIT_CLASS" "$_name" failed "$_out"
  fi
}
# require NAME COMMAND...: like check, but a failure ends the job.
require() { check "$@"; [ "$_rc" -eq 0 ] || exit 1; }
# server_version: the API server's gitVersion, e.g. v1.35.2.
server_version() { kubectl get --raw /version 2>/dev/null | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | head -n 1; }
# record_server_version: the "server version" case that the collector reads.
record_server_version() {
  _v="$(server_version)"
  if [ -n "$_v" ]; then
    echo "@SERVER_VERSION_CASE@: $_v"
    junit_case @META_CLASSNAME@ "@SERVER_VERSION_CASE@ $_v" passed "$_v"
  else
    junit_case @META_CLASSNAME@ "@SERVER_VERSION_CASE@" failed "the API server did not answer /version"
  fi
}
junit_write() {
  _rc=$?
  trap - EXIT HUP INT TERM
  if [ "$_rc" -ne 0 ] && [ "$JUNIT_FAILURES" -eq 0 ]; then
    junit_case "$JUNIT_CLASS" "${JUNIT_STEP:-job script}" failed "the script stopped with exit status $_rc"
  fi
  {
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n'
    junit_escape "${SM_CELL:-$JUNIT_CLASS}"
    printf '<testsuite name="%s" tests="%s" failures="%s">\n' "$_esc" "$(grep -c '<testcase ' "$JUNIT_CASES")" "$JUNIT_FAILURES"
    cat "$JUNIT_CASES"
    printf '</testsuite>\n</testsuites>\n'
  } > "$JUNIT_FILE"
  rm -f "$JUNIT_CASES" "$JUNIT_CASES.rc" "$JUNIT_CASES.out"
  exit "$_rc"
}
# is_image REF...: each REF is a container image reference (name, :tag,
# @digest) and nothing a command line or a YAML file would read as more; it
# says which one is not.
is_image() {
  for _ref in "$@"; do
    case "$_ref" in
      ""|-*|*[!A-Za-z0-9._/:@-]*) echo "not a container image reference: '$_ref'"; return 1 ;;
    esac
  done
}
# junit_done: end the script, failing the job when a case failed.
junit_done() { [ "$JUNIT_FAILURES" -eq 0 ]; }
# An ephemeral cluster's kubeconfig arrives as the provision job's artifact.
if [ -z "${KUBECONFIG:-}" ] && [ -f kubeconfig ]; then export KUBECONFIG="$PWD/kubeconfig"; fi
