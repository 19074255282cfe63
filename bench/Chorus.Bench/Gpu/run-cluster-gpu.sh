#!/bin/bash
# The cluster's GPU figures: fused step ÷ slowest member (and ÷ members stepping at once without the cluster) for 2 and
# 3 members of the larger synthetic size (~150M), and speculative vs plain tokens/s (zoo packs + synthetic large packs).
# Needs the CUDA build of llama.cpp that run-gpu.sh leaves in $W/lib (run that first, on the same warm machine).
# Prepare, on a machine with the .NET 10 SDK, in the repository root (.gpu/ ignored, as for run-gpu.sh):
#   dotnet publish bench/Chorus.ClusterBench -c Release -r linux-x64 --self-contained -p:PublishTrimmed=false -o .gpu/cluster
#   rm -f .gpu/cluster/*.pdb .gpu/cluster/*.xml && tar cJf .gpu/cluster.tar.xz -C .gpu cluster
#   cp bench/Chorus.Bench/Gpu/run-cluster-gpu.sh .gpu/run-cluster.sh
# then on the GPU machine, in the repository root (models/zoo is read from there): bash .gpu/run-cluster.sh
# (OUT=<folder for the result files>). About 3–4 minutes after run-gpu.sh; the two-silo-process figures need a
# `dotnet` host and are left to a machine that has one (--in-process-only).
set -u
G=$PWD/.gpu
W=${W:-/root/chorus}
OUT=${OUT:-/tmp/out}
mkdir -p $OUT
[ -f $W/lib/libggml-cuda.so ] || { echo "no CUDA build in $W/lib: run bench/Chorus.Bench/Gpu/run-gpu.sh first"; exit 1; }
[ -x $W/cluster/Chorus.ClusterBench ] || tar xJf $G/cluster.tar.xz -C $W
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-} CHORUS_LLAMA_LIB_DIR=$W/lib CHORUS_VOCAB_DIR=$G/vocab DOTNET_CLI_TELEMETRY_OPTOUT=1
B=$W/cluster/Chorus.ClusterBench
timeout 200 $B --size large --members 2,3 --gpu --in-process-only --threads 4 --tokens 64 --out $W/models > $OUT/cluster-gpu.txt 2>&1
echo "exit code $?" >> $OUT/cluster-gpu.txt
timeout 240 $B speculative --size large --gpu --threads 4 --tokens 64 --rounds 3 --out $W/models > $OUT/speculative-gpu.txt 2>&1
echo "exit code $?" >> $OUT/speculative-gpu.txt
grep -E "^\||^#|^single|exit code" $OUT/cluster-gpu.txt $OUT/speculative-gpu.txt
