#!/usr/bin/env bash
# Builds the Kubernetes control-plane binaries Capstan's embedded cluster runs, from Debian's own
# `kubernetes` source package, and installs them atomically into a cache directory.
#
#   build-kubernetes.sh <version> <cache-dir> <entry>
#
# Result: <cache-dir>/<entry>/{etcd,kube-apiserver,kube-controller-manager,kube-scheduler,kubectl}
# The caller (io.capstan.cluster.KubernetesBinaries) holds the build lock; this script only builds into
# a private work directory and renames it into place at the very end, so an interrupted build never
# leaves a partial cache behind.
set -euo pipefail

usage="usage: build-kubernetes.sh <version> <cache-dir> <entry>"
version=${1:?$usage}
cache=${2:?$usage}
entry=${3:?$usage}
phases=6
start=$SECONDS

elapsed() { local s=$((SECONDS - start)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
phase() { echo "==> [$1/$phases] $2 (elapsed $(elapsed))"; }
fail() { echo "error: $*" >&2; exit 1; }

command -v apt-get >/dev/null ||
  fail "apt-get not found: Capstan builds Kubernetes from Debian's source package. On this system, put" \
       "etcd, kube-apiserver, kube-controller-manager, kube-scheduler (v$version) and kubectl in a directory" \
       "and set KUBEBUILDER_ASSETS to it, or place them in $cache/$entry/."
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || fail "installing build packages needs root; run as root or install sudo"
  sudo=sudo
else
  sudo=
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.build-$version.XXXXXX")
trap 'rm -rf "$work"' EXIT
export DEBIAN_FRONTEND=noninteractive

phase 1 "enabling Debian source packages"
if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  # Mirror every binary entry as a source entry for the same suites.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    sed -n 's/^Types: *deb *$/Types: deb-src/p;t;/^\(URIs\|Suites\|Components\|Signed-By\):/p;/^$/p' "$f"
  done | $sudo tee /etc/apt/sources.list.d/capstan-deb-src.sources >/dev/null
  if [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list | $sudo tee -a /etc/apt/sources.list.d/capstan-deb-src.list >/dev/null
  fi
fi
$sudo apt-get update -qq

phase 2 "installing build tools (golang-go, rsync, dpkg-dev)"
$sudo apt-get install -y -qq --no-install-recommends golang-go rsync dpkg-dev make >/dev/null

phase 3 "fetching Debian's kubernetes source package"
cd "$work"
apt-get source -qq --download-only kubernetes >/dev/null
dpkg-source -x ./kubernetes_*.dsc src >/dev/null
# etcd and kubectl come as Debian binary packages; unpack them instead of installing, so nothing on
# the host (such as another kubectl) is replaced.
apt-get download -qq etcd-server kubernetes-client golang-github-modern-go-reflect2-dev
dpkg-deb -x etcd-server_*.deb pkgs
dpkg-deb -x kubernetes-client_*.deb pkgs
dpkg-deb -x golang-github-modern-go-reflect2-dev_*.deb pkgs
# Kubernetes 1.20 vendors reflect2 1.0.1, whose map iterator does not fit Go >= 1.18's runtime: built with
# Debian's Go 1.19, kube-apiserver segfaults while encoding the first custom resource. reflect2 1.0.2 (Debian's
# package) supports Go 1.18+ with the same API, so it replaces the vendored copy.
reflect2=src/vendor/github.com/modern-go/reflect2
[ -d "$reflect2" ] || fail "the kubernetes source package no longer vendors reflect2; update build-kubernetes.sh"
rm -rf "$reflect2"
cp -r pkgs/usr/share/gocode/src/github.com/modern-go/reflect2 "$reflect2"
rm -f "$reflect2"/go.mod "$reflect2"/go.sum "$reflect2"/*_test.go

phase 4 "compiling kube-apiserver, kube-controller-manager, kube-scheduler (about 12 minutes on 2 cores)"
mkdir -p src/.go/src/k8s.io
ln -s "$work/src" src/.go/src/k8s.io/kubernetes
(
  while sleep 30; do echo "    ... still compiling (elapsed $(elapsed))"; done
) &
ticker=$!
trap 'kill $ticker 2>/dev/null || true; rm -rf "$work"' EXIT
(
  cd src/.go/src/k8s.io/kubernetes
  GOPATH="$work/src/.go" CGO_ENABLED=0 \
    KUBE_GIT_VERSION="v$version" KUBE_GIT_TREE_STATE=clean \
    make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler" >"$work/make.log" 2>&1
) || { kill $ticker 2>/dev/null || true; tail -n 40 "$work/make.log" >&2; fail "compiling Kubernetes failed (log above)"; }
kill $ticker 2>/dev/null || true

phase 5 "assembling $version"
out="$work/$version"
mkdir -p "$out"
bin=$(find src/_output -type d -path '*/bin' | head -n 1)
for b in kube-apiserver kube-controller-manager kube-scheduler; do
  install -m 0755 "$bin/$b" "$out/$b"
done
install -m 0755 pkgs/usr/bin/etcd "$out/etcd"
install -m 0755 pkgs/usr/bin/kubectl "$out/kubectl"
"$out/kube-apiserver" --version
"$out/etcd" --version | head -n 1

phase 6 "installing into $cache/$entry"
rm -rf "${cache:?}/$entry"
mv "$out" "$cache/$entry"
echo "==> done: Kubernetes $version control plane in $cache/$entry (total $(elapsed))"
