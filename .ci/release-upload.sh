#!/bin/sh
# Upload a release's files from GoReleaser's dist/ (the archives and
# checksums.txt) to the project's generic package registry, as package
# supportmatrix at version $CI_COMMIT_TAG, with the job's own token, and print
# each file's URL. The release job links them from the GitLab release.
#
# GitLab: PUT /projects/:id/packages/generic/:package_name/:package_version/:file_name
# with a JOB-TOKEN header (doc/user/packages/generic_packages/_index.md). The
# token only goes to $CI_API_V4_URL, the GitLab that runs the job.
#
# Usage: .ci/release-upload.sh [DIST]   (DIST defaults to dist)
set -eu
: "${CI_API_V4_URL:?}" "${CI_PROJECT_ID:?}" "${CI_COMMIT_TAG:?}" "${CI_JOB_TOKEN:?}"
dist=${1:-dist}
base="$CI_API_V4_URL/projects/$CI_PROJECT_ID/packages/generic/supportmatrix/$CI_COMMIT_TAG"
set -- "$dist"/*.tar.gz "$dist/checksums.txt"
for f in "$@"; do
  if [ ! -f "$f" ]; then
    echo "release-upload: $f is missing: run goreleaser release first" >&2
    exit 1
  fi
done
for f in "$@"; do
  name=$(basename "$f")
  curl --fail --silent --show-error --header "JOB-TOKEN: $CI_JOB_TOKEN" --upload-file "$f" "$base/$name" >/dev/null
  echo "$base/$name"
done
