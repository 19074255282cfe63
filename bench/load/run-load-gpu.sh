#!/usr/bin/env bash
# bench/load on a CUDA machine that has no .NET and no network (the device machine; results beside
# bench/results/cluster-gpu.md): llama-server and chorus-silo, both on GPU 0, under the same load, then a fused
# 3-member pack of ~150M members at 1 and 16 sessions (issue 23's GPU target: ≥ 6× at 16).
#
# Prepare, on a machine with the .NET 10 SDK, in the repository root (everything goes to .cache/gpu-load, ignored):
#   bash bench/load/run-load-gpu.sh prepare
# then on the device, in the repository root, carrying .cache/gpu-load:
#   bash bench/load/run-load-gpu.sh            (OUT=<folder for the result files>; ARGS="…" adds run-load.sh arguments)
# The first call builds llama.cpp's CUDA libraries and llama-server for sm_90 (H100/H200) from the pinned source
# (~6 minutes on 16 cores); each step's result stays in $W, so a second call on a warm machine resumes after the build.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
G=$ROOT/.cache/gpu-load

if [ "${1:-}" = prepare ]; then
  set -e
  rm -rf "$G" && mkdir -p "$G/app" "$G/vocab"
  # both apps self-contained into one folder: one .NET runtime, two entry points (chorus-silo, Chorus.LoadBench)
  for p in src/Silo bench/Chorus.LoadBench; do
    dotnet publish "$p" -c Release -r linux-x64 --self-contained -p:PublishTrimmed=false -o "$G/app" -nologo -v quiet -clp:ErrorsOnly
  done
  rm -rf "$G"/app/*.pdb "$G"/app/*.xml "$G/app/llama" # the CUDA build replaces the prebuilt CPU libraries
  tar cJf "$G/app.tar.xz" -C "$G" app && rm -rf "$G/app"
  SRC=$ROOT/.cache/llama-native/src # the pinned source, as build/native-llama.sh fetched it
  [ -f "$SRC/CMakeLists.txt" ] || bash build/native-llama.sh >/dev/null
  tar cJf "$G/llsrc.tar.xz" -C "$SRC" --exclude=.git --exclude='ggml/src/ggml-'{opencl,sycl,vulkan,hexagon,metal,cann,musa,webgpu,zdnn,openvino} \
    CMakeLists.txt LICENSE cmake ggml src include vendor common tools licenses
  cp .cache/llama/3.22.1/source/models/ggml-vocab-llama-spm.gguf "$G/vocab/"
  du -sh "$G"/*
  exit 0
fi

W=${W:-/root/chorus-load}
OUT=${OUT:-/tmp/out}
mkdir -p "$W" "$OUT"
T0=$SECONDS
stamp() { echo "[$(date -u +%H:%M:%S) +$((SECONDS - T0))s] $*"; }
[ -f "$G/app.tar.xz" ] || { echo "no $G/app.tar.xz: run 'bash bench/load/run-load-gpu.sh prepare' on a machine with .NET first" >&2; exit 1; }
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-} DOTNET_CLI_TELEMETRY_OPTOUT=1 CHORUS_VOCAB_DIR=$G/vocab

if [ ! -x "$W/build/bin/llama-server" ]; then
  [ -d "$W/src" ] || { mkdir -p "$W/src" && tar xJf "$G/llsrc.tar.xz" -C "$W/src"; }
  stamp "configure"
  cmake -S "$W/src" -B "$W/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DGGML_BACKEND_DL=ON -DGGML_NATIVE=OFF \
    -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_CCACHE=OFF \
    -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON '-DCMAKE_INSTALL_RPATH=$ORIGIN' -DBUILD_SHARED_LIBS=ON \
    -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_COMMON=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON >"$W/cmake.txt" 2>&1 \
    || { tail -40 "$W/cmake.txt"; exit 1; }
  stamp "build (llama, ggml-cuda, llama-server)"
  # the backends are loaded at run time (GGML_BACKEND_DL): build them explicitly beside the server
  timeout 540 ninja -C "$W/build" -j"$(nproc)" llama-server ggml-cuda ggml-cpu >"$W/ninja.txt" 2>&1
  rc=$?
  stamp "ninja rc=$rc"
  tail -3 "$W/ninja.txt" >"$OUT/build.txt"
  [ $rc -eq 0 ] || { grep -B2 -A10 -m3 error "$W/ninja.txt" | head -60; exit 1; }
fi
[ -x "$W/app/chorus-silo" ] || tar xJf "$G/app.tar.xz" -C "$W"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >"$OUT/env.txt" 2>&1
nproc >>"$OUT/env.txt"

# llama-server and Chorus's engine on the same CUDA build of the pinned llama.cpp
export LLAMA_BIN=$W/build/bin CHORUS_LLAMA_LIB_DIR=$W/build/bin PREBUILT=$W/app MODELS=$W/models
stamp "load run"
# shellcheck disable=SC2086 # ARGS is several arguments
# (at most 8 files come back from $OUT: the run's folder stays in $W, its reports and JSON are copied)
RUN=$W/run-$(date -u +%H%M%S)
OUT=$RUN timeout 520 bash bench/load/run-load.sh --gpu 0 --model large --slots 16 --clients 16 --threads 4 --rounds 1 \
  --duration 15 --workloads single,chat,mixed --pack ${ARGS:-} >"$OUT/load-gpu.md" 2>"$OUT/load-gpu.err"
echo "exit code $?" >>"$OUT/load-gpu.md"
cp "$RUN"/*.json "$OUT/" 2>/dev/null
for log in "$RUN"/*.log; do { echo "=== $log"; tail -20 "$log"; } >>"$OUT/load-gpu.err"; done
stamp "done"
grep -E "^\||^#" "$OUT/load-gpu.md" | head -120
tail -5 "$OUT/load-gpu.err"
