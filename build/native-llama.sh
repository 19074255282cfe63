#!/usr/bin/env bash
# Builds llama.cpp's libraries (and any extra targets named) from the source of the pinned release — the
# gitRelease.bundle inside node-llama-cpp@3.22.1, fetched with `npm pack` by package name — for this machine's CPU
# (GGML_NATIVE=ON, OpenMP), into <cache>/llama-native/build/bin. Point CHORUS_LLAMA_LIB_DIR there to use them instead of
# the prebuilt package.
#
#   build/native-llama.sh [TARGET...]        e.g. build/native-llama.sh llama-bench llama-server (the parity bench)
#
# Why: the prebuilt CPU package was compiled with GCC 11, which keeps llamafile's 4×6 AVX-512 F32 GEMM tile
# (tinyBLAS gemm_bloc<4,6>, the whole of a prompt's matrix products) on the stack and writes it back at every step of
# the inner loop; GCC 12 keeps it in registers. Prompt processing on this source build runs ~2× the package's
# (bench/README.md, "Parity with llama.cpp"). Needs cmake and a C++ compiler (apt-get install -y cmake g++); a few
# minutes on 2 cores, once.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${CHORUS_CACHE_DIR:-$PWD/.cache}"
work="$cache/llama-native"
mkdir -p "$work"
exec 9>"$work/.lock"
flock 9
for tool in cmake c++ npm git; do
  command -v "$tool" >/dev/null 2>&1 || { echo "native-llama: '$tool' is required (Debian: apt-get install -y cmake g++ nodejs npm git)" >&2; exit 3; }
done
if [ ! -f "$work/src/CMakeLists.txt" ]; then
  echo "native-llama: fetching the llama.cpp source of node-llama-cpp@3.22.1 ..." >&2
  rm -rf "$work/src" "$work/pack" && mkdir -p "$work/pack"
  (cd "$work/pack" && npm pack --silent node-llama-cpp@3.22.1 >/dev/null && tar -xzf node-llama-cpp-3.22.1.tgz)
  git clone -q "$work/pack/package/llama/gitRelease.bundle" "$work/src"
  rm -rf "$work/pack"
fi
targets=(llama "$@")
echo "native-llama: building ${targets[*]} into $work/build/bin ..." >&2
cmake -S "$work/src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF >"$work/cmake.log" \
  || { tail -20 "$work/cmake.log" >&2; exit 1; }
cmake --build "$work/build" --target "${targets[@]}" -j"$(nproc)" >"$work/build.log" 2>&1 \
  || { tail -20 "$work/build.log" >&2; exit 1; }
echo "$work/build/bin"
