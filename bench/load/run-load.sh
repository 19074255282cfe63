#!/usr/bin/env bash
# Chorus and llama-server under concurrent load, side by side in one run (bench/README.md, "Serving under load").
#
#   bench/load/run-load.sh [--model small|large] [--clients 16] [--slots 8] [--rounds 2] [--workloads single,chat,mixed]
#       [--duration 30] [--threads 2] [--ctx N] [--pack] [--pack-members bench|zoo] [--pack-clients 1,16] [--pack-only]
#       [--chorus-only | --llama-only] [--extra-silo-args "--Chorus:… …"] [--silo-b-args "--Chorus:… …"] [--gpu N]
#       [--package-lib]
#       [-- Chorus.LoadBench run arguments, e.g. --loads closed:16,open:8 --turns 5 --long-share 0.2]
#
# One llama-server (build/native-llama.sh; -np SLOTS, -c SLOTS × CTX, -t/-tb THREADS, --metrics) and one chorus-silo
# (MaxSequences=SLOTS, ContextSize=CTX, Threads=THREADS) serve the same synthetic model (the parity bench's
# bench-small ~20M F32 or bench-large ~148M, forged once under .cache/llama-bench/models). Chorus.LoadBench then runs
# every workload in rounds, the servers one after the other in each (llama-server, chorus, llama-server, chorus …), and
# prints each cell and a side-by-side table with Chorus ÷ llama-server per round. CTX defaults to 512 for `single`, 2048
# with `chat` and `mixed` (whose long prompts are then ~1,800 tokens: the bench models were trained on 2,048, and
# llama-server caps a slot there).
#
# --pack then serves a fused 3-member pack in one silo (three bench models of the size with other seeds, method
# uniform; or the zoo's domain experts with packllm-sim) and runs it at --pack-clients (aggregate tokens/s at each, ×
# the first), then measures the engine's own ceiling for that ratio (bench/load/engine-ceiling.sh: llama.cpp alone,
# three models batching in lockstep; bench members on CPU only). --extra-silo-args adds settings to every silo;
# --silo-b-args starts a second silo with those settings added ("chorus-b", interleaved with the others) for an A/B of
# settings in one run. Results, logs and the JSON go to
# .cache/llama-bench/load-<time>/ (OUT=DIR elsewhere). LLAMA_BIN=DIR uses a llama-server built elsewhere from the pinned
# source. --gpu N offloads every layer to GPU N in both servers (-ngl 999; Chorus:Models:i:Gpu=N). PREBUILT=DIR skips the
# .NET build and runs the self-contained Chorus.LoadBench and chorus-silo published into DIR (run-load-gpu.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
# shellcheck source=bench/load/servers.sh
. bench/load/servers.sh
MODEL_SIZE=small CLIENTS=16 SLOTS=8 ROUNDS=2 WORKLOADS=single DURATION=30 THREADS=2 CTX="" PACK=0 PACK_ONLY=0
PACK_MEMBERS=bench PACK_CLIENTS="" SERVERS=both EXTRA="" SILO_B="" GPU="" PASS=() PACKAGE_LIB=0
while [ $# -gt 0 ]; do
  case "$1" in
    --model) MODEL_SIZE=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --slots) SLOTS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --workloads) WORKLOADS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --ctx) CTX=$2; shift 2 ;;
    --pack) PACK=1; shift ;;
    --pack-only) PACK=1 PACK_ONLY=1; shift ;;
    --pack-members) PACK_MEMBERS=$2; shift 2 ;;
    --pack-clients) PACK_CLIENTS=$2; shift 2 ;;
    --chorus-only) SERVERS=chorus; shift ;;
    --llama-only) SERVERS=llama; shift ;;
    --extra-silo-args) EXTRA=$2; shift 2 ;;
    --silo-b-args) SILO_B=$2; shift 2 ;;
    --gpu) GPU=$2; shift 2 ;;
    --package-lib) PACKAGE_LIB=1; shift ;;
    --) shift; PASS=("$@"); break ;;
    *) echo "unknown argument $1 (see the top of $0)" >&2; exit 2 ;;
  esac
done
if [ -z "$CTX" ]; then
  case ",$WORKLOADS," in *,mixed,*|*,chat,*) CTX=2048 ;; *) CTX=512 ;; esac
fi
# mixed: long prompts of ~1,800 tokens, so prompt and reply fit the bench models' trained 2,048 (llama-server caps a
# slot's context there and refuses longer requests; a later --long-tokens in the pass-through arguments wins)
MIXED_ARGS=()
case ",$WORKLOADS," in *,mixed,*) MIXED_ARGS=(--long-tokens 1800) ;; esac
PACK_CLIENTS=${PACK_CLIENTS:-1,$CLIENTS}
read -r -a EXTRA_ARGS <<<"$EXTRA"
read -r -a SILO_B_ARGS <<<"$SILO_B"
WORK=$ROOT/.cache/llama-bench
MODELS=${MODELS:-$WORK/models}
OUT=${OUT:-$WORK/load-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$MODELS" "$OUT"
PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do stop_server "$p"; done; }
trap cleanup EXIT

# --- build: the load generator and the silo; llama-server from the pinned source (once)
if [ -n "${PREBUILT:-}" ]; then
  LOAD=("$PREBUILT/Chorus.LoadBench") SILO=$PREBUILT/chorus-silo
else
  (dotnet build bench/Chorus.LoadBench -c Release -nologo -v quiet -clp:ErrorsOnly \
    && dotnet build src/Silo -c Release -nologo -v quiet -clp:ErrorsOnly) >"$OUT/build.log" 2>&1 \
    || { cat "$OUT/build.log" >&2; echo "building Chorus.LoadBench or the silo failed" >&2; exit 1; }
  LOAD=(dotnet "$ROOT/bench/Chorus.LoadBench/bin/Release/net10.0/Chorus.LoadBench.dll") SILO=$ROOT/src/Silo/bin/Release/net10.0/chorus-silo.dll
fi
LLAMA_GPU=() SILO_GPU=()
if [ -n "$GPU" ]; then
  LLAMA_GPU=(-ngl 999 --main-gpu "$GPU")
  for i in 0 1 2; do SILO_GPU+=("--Chorus:Models:$i:Gpu=$GPU"); done
fi
# the pack's engine ceiling (below) runs for the bench members on CPU
CEILING=0
if [ "$PACK" = 1 ] && [ "$PACK_MEMBERS" = bench ] && [ -z "$GPU" ]; then CEILING=1; fi
if [ "$SERVERS" != chorus ] || [ "$CEILING" = 1 ]; then
  LLAMA_BIN=${LLAMA_BIN:-$ROOT/.cache/llama-native/build/bin}
  # llama-server for the side-by-side; llama-batched-bench for the pack's engine ceiling
  if [ ! -x "$LLAMA_BIN/llama-server" ] || { [ "$CEILING" = 1 ] && [ ! -x "$LLAMA_BIN/llama-batched-bench" ]; }; then
    LLAMA_BIN=$(bash build/native-llama.sh llama-server llama-batched-bench)
  fi
  # like for like: the silos decode with the very libraries llama-server was built with (--package-lib: the prebuilt
  # package the tests and the demo use, which computes prompts about half as fast; docs/engine.md)
  if [ "$PACKAGE_LIB" = 0 ] && [ -z "${CHORUS_LLAMA_LIB_DIR:-}" ]; then export CHORUS_LLAMA_LIB_DIR=$LLAMA_BIN; fi
fi
echo "chorus-silo decodes with: ${CHORUS_LLAMA_LIB_DIR:-the prebuilt package}" >&2
mapfile -t FORGED < <("${LOAD[@]}" models --size "$MODEL_SIZE" --out "$MODELS" --count $([ "$PACK" = 1 ] && echo 3 || echo 1))
MODEL=${FORGED[0]}

run_load() { # NOTE TARGET... -- LOADBENCH_ARG...: one Chorus.LoadBench run, its report into $OUT/$NAME.md and .json
  local name=$1 note=$2
  shift 2
  "${LOAD[@]}" run "$@" --rounds "$ROUNDS" --duration "$DURATION" --workloads "$WORKLOADS" --note "$note" \
    --json "$OUT/$name.json" "${MIXED_ARGS[@]}" "${PASS[@]}" | tee "$OUT/$name.md"
}

# --- one model: llama-server and chorus-silo (and chorus-b) side by side
if [ "$PACK_ONLY" = 0 ]; then
  TARGETS=()
  NOTE="model $(basename "$MODEL") ($MODEL_SIZE), $SLOTS slots × $CTX tokens, $THREADS threads."
  if [ "$SERVERS" != chorus ]; then
    port=$(free_port)
    PIDS+=("$(start_llama_server "$LLAMA_BIN" "$MODEL" "$SLOTS" "$CTX" "$THREADS" "$port" "$OUT/llama-server.log" "${LLAMA_GPU[@]}")")
    wait_until_ok "http://127.0.0.1:$port/health" "${PIDS[-1]}" 120
    TARGETS+=(--target "llama-server=http://127.0.0.1:$port,kind=llama")
    NOTE+=" llama-server: -np $SLOTS -c $((SLOTS * CTX)) -t $THREADS -tb $THREADS --metrics ${LLAMA_GPU[*]}."
  fi
  if [ "$SERVERS" != llama ]; then
    mapfile -t SETTINGS < <(model_settings 0 bench "$MODEL" "$CTX" "$SLOTS" "$THREADS")
    for silo in chorus ${SILO_B:+chorus-b}; do
      http=$(free_port) metrics=$(free_port)
      args=("${SETTINGS[@]}" "${SILO_GPU[@]:0:1}" "${EXTRA_ARGS[@]}")
      [ "$silo" = chorus-b ] && args+=("${SILO_B_ARGS[@]}")
      PIDS+=("$(start_chorus_silo "$SILO" "$http" "$metrics" "$OUT/$silo.log" "${args[@]}")")
      wait_until_ok "http://127.0.0.1:$http/v1/models" "${PIDS[-1]}" 120
      TARGETS+=(--target "$silo=http://127.0.0.1:$http,kind=chorus,model=bench,metrics=http://127.0.0.1:$metrics/metrics")
      NOTE+=" $silo: chorus-silo MaxSequences=$SLOTS ContextSize=$CTX Threads=$THREADS ${args[*]:${#SETTINGS[@]}}."
    done
  fi
  run_load model "$NOTE" "${TARGETS[@]}" --clients "$CLIENTS"
  cleanup
  PIDS=()
fi

# --- a fused 3-member pack in one silo, at 1 and 16 sessions (no llama-server counterpart)
if [ "$PACK" = 1 ]; then
  SETTINGS=()
  if [ "$PACK_MEMBERS" = zoo ]; then
    MEMBERS=(wiki-expert shakespeare-expert linux-expert) METHOD=packllm-sim
    for i in 0 1 2; do mapfile -t -O "${#SETTINGS[@]}" SETTINGS < <(model_settings $i "${MEMBERS[$i]}" "$ROOT/models/zoo/${MEMBERS[$i]}.gguf" "$CTX" "$SLOTS" 0); done
  else
    MEMBERS=(m0 m1 m2) METHOD=uniform
    for i in 0 1 2; do mapfile -t -O "${#SETTINGS[@]}" SETTINGS < <(model_settings $i "m$i" "${FORGED[$i]}" "$CTX" "$SLOTS" 0); done
  fi
  SETTINGS+=(--Chorus:Packs:0:Name=trio --Chorus:Packs:0:Method=$METHOD)
  for i in 0 1 2; do SETTINGS+=("--Chorus:Packs:0:Members:$i:Model=${MEMBERS[$i]}"); done
  http=$(free_port) metrics=$(free_port)
  PIDS+=("$(start_chorus_silo "$SILO" "$http" "$metrics" "$OUT/chorus-pack.log" "${SETTINGS[@]}" "${SILO_GPU[@]}" "${EXTRA_ARGS[@]}")")
  wait_until_ok "http://127.0.0.1:$http/v1/models" "${PIDS[-1]}" 120
  run_load pack "pack trio: ${MEMBERS[*]} ($PACK_MEMBERS, $METHOD) in one chorus-silo, each MaxSequences=$SLOTS ContextSize=$CTX, default threads ${EXTRA_ARGS[*]}" \
    --target "chorus-pack=http://127.0.0.1:$http,kind=chorus,model=trio,metrics=http://127.0.0.1:$metrics/metrics" --clients "$PACK_CLIENTS"
  cleanup
  PIDS=()
  # the ceiling: llama.cpp alone, the three members decoding at once as the silo runs them (its default thread share),
  # each with as many sequences in lockstep as the pack can decode at each load (the clients, at most the slots)
  if [ "$CEILING" = 1 ]; then
    batches=$(for c in ${PACK_CLIENTS//,/ }; do echo $((c < SLOTS ? c : SLOTS)); done | paste -sd,)
    share=$(( $(nproc) / 3 > 0 ? $(nproc) / 3 : 1 ))
    echo "engine ceiling: three llama-batched-bench processes at once, batches $batches ..." >&2
    { echo "Engine ceiling ($(date -u +%FT%TZ)): three llama-batched-bench processes at once, one per member, $share" \
        "thread(s) each, 64-token prompts and 64 generated tokens per sequence."; echo
      bash bench/load/engine-ceiling.sh "$LLAMA_BIN" "$share" 64 64 "$batches" "${FORGED[@]:0:3}"; } \
      | tee "$OUT/ceiling.md"
  fi
fi
echo "results: $OUT" >&2
