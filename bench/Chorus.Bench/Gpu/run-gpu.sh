#!/bin/bash
# Runs Chorus's engine on a CUDA machine that has no .NET and no network (results: bench/results/gpu.md).
# Prepare, on a machine with the .NET 10 SDK, in the repository root (.gpu/ must be ignored: echo /.gpu/ >> .git/info/exclude):
#   dotnet publish bench/Chorus.Bench -c Release -r linux-x64 --self-contained -p:PublishTrimmed=false -o .gpu/bench
#   rm -f .gpu/bench/llama/cpu/libllama-common.so .gpu/bench/*.pdb .gpu/bench/*.xml && tar cJf .gpu/bench.tar.xz -C .gpu bench
#   (llama.cpp source of the pinned release, from node-llama-cpp@3.22.1's package/llama/gitRelease.bundle cloned to $SRC)
#   tar cJf .gpu/llsrc.tar.xz -C $SRC --exclude=ggml/src/ggml-{opencl,sycl,vulkan,hexagon,metal,et,webgpu,openvino,cann} \
#       CMakeLists.txt LICENSE cmake ggml src include vendor common licenses
#   mkdir -p .gpu/vocab && cp .cache/llama/3.22.1/source/models/ggml-vocab-{llama-spm,gpt-2}.gguf .gpu/vocab/
#   cp bench/Chorus.Bench/Gpu/run-gpu.sh .gpu/run.sh
# then on the GPU machine, in the repository root: bash .gpu/run.sh   (OUT=<folder for the result files>)
# Idempotent: a step whose result is in $W/results is not repeated (a second call on a warm machine resumes).
set -u
G=$PWD/.gpu
W=${W:-/root/chorus}
OUT=${OUT:-/tmp/out}
mkdir -p $W/results $W/models $OUT
cp $W/results/* $OUT/ 2>/dev/null
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
export CHORUS_VOCAB_DIR=$G/vocab DOTNET_CLI_TELEMETRY_OPTOUT=1
T0=$SECONDS
left() { echo $((560 - (SECONDS - T0))); }
stamp() { echo "[$(date -u +%H:%M:%S) +$((SECONDS - T0))s] $*"; }

if [ ! -f $W/results/env.txt ]; then
  { nvidia-smi; nvcc --version | tail -3; cmake --version | head -1; ninja --version; gcc --version | head -1; nproc; lscpu | grep -E "Model name|^CPU\(s\)|Flags" | cut -c1-400; } > $OUT/env.txt 2>&1
  cp $OUT/env.txt $W/results/
fi

if [ ! -f $W/lib/libggml-cuda.so ]; then
  if [ ! -d $W/src ]; then mkdir -p $W/src && tar xJf $G/llsrc.tar.xz -C $W/src; fi
  if [ ! -f $W/build/build.ninja ]; then
    stamp configure
    cmake -S $W/src -B $W/build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DGGML_BACKEND_DL=ON -DGGML_NATIVE=OFF \
      -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_CCACHE=OFF -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON '-DCMAKE_INSTALL_RPATH=$ORIGIN' \
      -DBUILD_SHARED_LIBS=ON -DLLAMA_BUILD_COMMON=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
      -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF \
      > $W/cmake.txt 2>&1 || { tail -40 $W/cmake.txt; exit 1; }
    grep -iE "cuda|ggml version|variant" $W/cmake.txt
  fi
  stamp build
  timeout $(( $(left) - 20 )) ninja -C $W/build -j16 > $W/ninja.txt 2>&1
  rc=$?
  stamp "ninja rc=$rc"
  { grep -E "ggml version|CUDA|cuda" $W/cmake.txt | head -20; echo ...; tail -5 $W/ninja.txt; } > $OUT/build.txt
  if [ $rc -ne 0 ]; then grep -B2 -A10 -m3 "error" $W/ninja.txt | head -60; tail -5 $W/ninja.txt; exit 1; fi
  mkdir -p $W/lib && cp -P $W/build/bin/*.so* $W/lib/
  ls -la $W/lib >> $OUT/build.txt; ldd $W/lib/libggml-cuda.so | grep -E "cuda|cublas|not found" >> $OUT/build.txt
  cp $OUT/build.txt $W/results/
fi

if [ ! -x $W/bench/Chorus.Bench ]; then tar xJf $G/bench.tar.xz -C $W; fi
B=$W/bench/Chorus.Bench

step() { # name, min seconds left, command...
  local name=$1 need=$2; shift 2
  [ -f $W/results/$name.txt ] && return 0
  if [ $(left) -lt $need ]; then stamp "SKIPPED $name (time)"; return 0; fi
  stamp "start $name"
  "$@" > $OUT/$name.txt 2>&1; local rc=$?
  echo "exit code $rc" >> $OUT/$name.txt
  stamp "done $name rc=$rc"
  cp $OUT/$name.txt $W/results/
}
# pinned prebuilt CPU libraries (llama/cpu next to the app): reference logits and the CPU figures
step gpucheck-cpu 60 $B gpucheck --gpu-layers 0 --out $W/models --write-reference $W/ref-cpu.bin
C="env CHORUS_LLAMA_LIB_DIR=$W/lib"
step gpucheck-gpu 60 $C $B gpucheck --gpu-layers -1 --out $W/models --reference $W/ref-cpu.bin
step gpucheck-gpu-fa-off 60 $C $B gpucheck --gpu-layers -1 --flash-attn off --out $W/models --reference $W/ref-cpu.bin
step gpucheck-gpu-notf32 60 $C NVIDIA_TF32_OVERRIDE=0 $B gpucheck --gpu-layers -1 --out $W/models --reference $W/ref-cpu.bin --no-cpu-compare
step timing-gpu 90 $C $B gpucheck --timing small,large --gpu-layers -1 --tokens 128 --prompt 512 --out $W/models
step bench-gpu 90 $C $B engine --gpu-layers -1 --sizes small,large --tokens 128 --prompt 512 --out $W/models
step timing-cpu16 90 $B gpucheck --timing small,large --gpu-layers 0 --tokens 128 --prompt 512 --out $W/models
step bench-cpu16 150 $B engine --gpu-layers 0 --sizes small,large --tokens 128 --prompt 512 --out $W/models
# the CUDA build with no layers offloaded: ggml still offloads matmuls of batches >= 32 tokens to the GPU
step bench-cudabuild-ngl0 150 $C $B engine --gpu-layers 0 --sizes small,large --tokens 128 --prompt 512 --out $W/models
for f in gpucheck-cpu gpucheck-gpu gpucheck-gpu-fa-off gpucheck-gpu-notf32 timing-gpu bench-gpu timing-cpu16 bench-cpu16 bench-cudabuild-ngl0; do echo "=== $f"; grep -vE "^(PASS|FAIL) " $OUT/$f.txt 2>/dev/null | grep -v "^$" | tail -9; grep -cE "^PASS" $OUT/$f.txt 2>/dev/null; grep -E "^FAIL" $OUT/$f.txt 2>/dev/null | cut -c1-330; done
rm -f $OUT/gpucheck-cpu.txt $OUT/gpucheck-gpu-fa-off.txt $OUT/bench-cudabuild-ngl0.txt  # at most 8 files come back from $OUT
stamp end
