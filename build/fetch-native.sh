#!/usr/bin/env bash
# Fetches the pinned llama.cpp build (prebuilt in node-llama-cpp's npm packages) into the cache.
# Usage: fetch-native.sh <cpu|cuda> <cache-dir>
# Result: <cache>/llama/3.22.1/<variant>/lib/*.so and <cache>/llama/3.22.1/source/{include,ggml/include,models}
set -euo pipefail
variant="${1:-cpu}"
cache="${2:-$(dirname "$0")/../.cache}"
version="3.22.1"
root="$cache/llama/$version"
mkdir -p "$root"
root="$(cd "$root" && pwd)"

case "$variant" in
  cpu)  package="@node-llama-cpp/linux-x64@$version" ;;
  cuda) package="@node-llama-cpp/linux-x64-cuda@$version" ;;
  *) echo "fetch-native: unknown variant '$variant' (expected cpu or cuda)" >&2; exit 2 ;;
esac

need() {
  command -v "$1" >/dev/null 2>&1 || {
    echo "error: '$1' is required to fetch the pinned llama.cpp libraries ($2)." >&2
    echo "       Install it (Debian: apt-get install -y $3), or set CHORUS_LLAMA_LIB_DIR to a directory holding" >&2
    echo "       libllama/libggml of llama.cpp v0.5.0 built by you." >&2
    exit 3
  }
}

exec 9>"$root/.lock"
flock 9

fetch_libs() {
  local dest="$root/$variant"
  [ -f "$dest/.complete" ] && return 0
  need npm "npm pack downloads $package" "nodejs npm"
  local tmp; tmp="$(mktemp -d)"
  echo "chorus: fetching $package (llama.cpp v0.5.0, $variant) ..." >&2
  (cd "$tmp" && npm pack --silent "$package" >/dev/null)
  mkdir -p "$tmp/x" && tar xzf "$tmp"/*.tgz -C "$tmp/x"
  rm -rf "$dest" && mkdir -p "$dest/lib"
  find "$tmp/x/package/bins" -name '*.so*' -exec cp -a {} "$dest/lib/" \;
  rm -rf "$tmp"
  touch "$dest/.complete"
}

fetch_source() {
  local dest="$root/source"
  [ -f "$dest/.complete" ] && return 0
  need npm "npm pack downloads node-llama-cpp@$version" "nodejs npm"
  need git "the llama.cpp sources ship as a git bundle" "git"
  local tmp; tmp="$(mktemp -d)"
  echo "chorus: fetching node-llama-cpp@$version (llama.cpp headers, vocabularies, tokenizer tests) ..." >&2
  (cd "$tmp" && npm pack --silent "node-llama-cpp@$version" >/dev/null)
  mkdir -p "$tmp/x" && tar xzf "$tmp"/*.tgz -C "$tmp/x" package/llama/gitRelease.bundle
  git clone --quiet --bare "$tmp/x/package/llama/gitRelease.bundle" "$tmp/src.git"
  rm -rf "$dest" && mkdir -p "$dest"
  git --git-dir "$tmp/src.git" archive HEAD include ggml/include models | tar -x -C "$dest"
  # keep only the vocabulary files and their tests from models/
  find "$dest/models" -mindepth 1 -not -name 'ggml-vocab-*' -exec rm -rf {} + 2>/dev/null || true
  rm -rf "$tmp"
  touch "$dest/.complete"
}

fetch_libs
fetch_source
