# The supportmatrix image: the binary GoReleaser built, plus what the parent
# pipeline and the default job templates call: git (generate compares with the
# merge request's base; versions-sync pushes a branch), kubectl and helm.
#
# Built by the release jobs in .gitlab-ci.yml after `goreleaser release`, from
# the repository root (the build context must hold dist/):
#
#   buildah build --platform linux/amd64 --build-arg VERSION=1.2.3 -t supportmatrix:1.2.3 .
#
# Every download is pinned by version and checked against its sha256
# (kubectl: the .sha256 file next to the binary on dl.k8s.io; helm: the
# .sha256sum next to the archive on get.helm.sh). To move a version, change
# the version and both checksums together; internal/release's tests check the
# pins, run this file's download script, and check that the COPY below matches
# GoReleaser's output paths.
ARG ALPINE_VERSION=3.22.2

# The downloads run on the build machine's own platform and fetch the target
# platform's binaries: a multi-platform build needs no emulation here.
FROM --platform=$BUILDPLATFORM alpine:${ALPINE_VERSION} AS tools
ARG TARGETARCH
ARG KUBECTL_VERSION=v1.34.1
ARG KUBECTL_SHA256_AMD64=7721f265e18709862655affba5343e85e1980639395d5754473dafaadcaa69e3
ARG KUBECTL_SHA256_ARM64=420e6110e3ba7ee5a3927b5af868d18df17aae36b720529ffa4e9e945aa95450
ARG HELM_VERSION=v3.19.0
ARG HELM_SHA256_AMD64=a7f81ce08007091b86d8bd696eb4d86b8d0f2e1b9f6c714be62f82f96a594496
ARG HELM_SHA256_ARM64=440cf7add0aee27ebc93fada965523c1dc2e0ab340d4348da2215737fc0d76ad
RUN apk add --no-cache curl
WORKDIR /tools
RUN set -eu; \
    case "$TARGETARCH" in \
      amd64) kubectl_sha256="$KUBECTL_SHA256_AMD64"; helm_sha256="$HELM_SHA256_AMD64" ;; \
      arm64) kubectl_sha256="$KUBECTL_SHA256_ARM64"; helm_sha256="$HELM_SHA256_ARM64" ;; \
      *) echo "no pinned kubectl and helm for linux/$TARGETARCH" >&2; exit 1 ;; \
    esac; \
    curl -fsSL --retry 3 -o kubectl.download "https://dl.k8s.io/release/$KUBECTL_VERSION/bin/linux/$TARGETARCH/kubectl"; \
    echo "$kubectl_sha256  kubectl.download" | sha256sum -c -; \
    curl -fsSL --retry 3 -o helm.tar.gz "https://get.helm.sh/helm-$HELM_VERSION-linux-$TARGETARCH.tar.gz"; \
    echo "$helm_sha256  helm.tar.gz" | sha256sum -c -; \
    tar -xzf helm.tar.gz "linux-$TARGETARCH/helm"; \
    mkdir -p out; \
    mv kubectl.download out/kubectl; \
    mv "linux-$TARGETARCH/helm" out/helm; \
    chmod 0755 out/kubectl out/helm

FROM alpine:${ALPINE_VERSION}
ARG TARGETARCH
ARG VERSION=dev
LABEL org.opencontainers.image.title="supportmatrix" \
      org.opencontainers.image.version="${VERSION}"
RUN apk add --no-cache ca-certificates git
COPY --from=tools /tools/out/kubectl /tools/out/helm /usr/local/bin/
# GoReleaser's build directory for linux/<arch> (dist/supportmatrix_linux_amd64_v1,
# dist/supportmatrix_linux_arm64_v8.0).
COPY dist/supportmatrix_linux_${TARGETARCH}_*/supportmatrix /usr/local/bin/supportmatrix
RUN supportmatrix --version && kubectl version --client && helm version --short && git --version
