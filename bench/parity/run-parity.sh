#!/usr/bin/env bash
# Chorus vs llama.cpp on one model, side by side, interleaved rounds (see bench/README.md, "Parity with llama.cpp").
#
#   bench/parity/run-parity.sh [--size small|large] [--rounds 3] [--threads 2] [--base COMMIT] [--no-e2e] [--no-variants] [--native-lib DIR]
#
# --no-variants leaves out this tree's extra end-to-end settings (one thread, medium priority): base and new only.
#
# --native-lib DIR also runs this tree's engine tests on the llama.cpp libraries in DIR (CHORUS_LLAMA_LIB_DIR; e.g. the
# GGML_NATIVE build's bin folder) as "chorus-native": the same binding on llama-bench's own library build.
# Per round: llama-bench pp256/tg128 (-r 5), Chorus's `Chorus.Bench parity` (same tests, same reps; the "before"
# build too with --base), then end to end: llama-server /completion (greedy, 64 tokens) and `chorus generate --endpoint`
# against one chorus-silo process serving the same file (greedy, 64 tokens), each 3 requests after a warm-up; then the
# like-for-like HTTP pairs, both asked by curl: the whole reply (llama-server /completion vs Chorus /v1/completions,
# "e2e-http") and streamed ("e2e-stream": tokens ÷ the request's wall time). Prints one markdown table of medians.
# End-to-end "tok/s" is generation after the prefill (llama-server: timings.predicted_per_second; Chorus: the session's
# tokensPerSecond = completion ÷ (total − prefill), which also counts its set-up and admission); "incl. prefill" is the
# whole request (llama-server: the client's wall time; Chorus: the session's totalMs).
#
# llama-bench and llama-server come from the llama.cpp source of the pinned release (node-llama-cpp@3.22.1's
# llama/gitRelease.bundle, fetched with `npm pack` by package name), built once with GGML_NATIVE=ON by
# build/native-llama.sh into .cache/llama-native (ignored). LLAMA_BIN=DIR uses binaries built elsewhere from that source.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SIZE=small ROUNDS=3 THREADS=2 BASE="" E2E=1 VARIANTS=1 NATIVE_LIB=""
while [ $# -gt 0 ]; do
  case "$1" in
    --size) SIZE=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --base) BASE=$2; shift 2 ;;
    --no-e2e) E2E=0; shift ;;
    --no-variants) VARIANTS=0; shift ;;
    --native-lib) NATIVE_LIB=$(cd "$2" && pwd); shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
# end-to-end variants of this tree's silo, NAME=SETTINGS: one decode thread (a core left to the silo), and the
# llama-server thread count with the decode threads at real-time priority (Chorus:Models:N:ThreadPriority)
E2E_VARIANTS=("one-thread=--Chorus:Models:0:Threads=1" "priority-medium=--Chorus:Models:0:Threads=$THREADS --Chorus:Models:0:ThreadPriority=medium")
WORK=$ROOT/.cache/llama-bench
MODELS=${MODELS:-$WORK/models}
OUT=$WORK/run-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$WORK" "$MODELS" "$OUT"

# --- llama.cpp side: build llama-bench and llama-server from the pinned source if missing (build/native-llama.sh;
# the same build's libraries are what --native-lib takes)
LLAMA_BIN=${LLAMA_BIN:-$ROOT/.cache/llama-native/build/bin}
if [ ! -x "$LLAMA_BIN/llama-bench" ] || { [ "$E2E" = 1 ] && [ ! -x "$LLAMA_BIN/llama-server" ]; }; then
  LLAMA_BIN=$(bash build/native-llama.sh llama-bench llama-server)
fi

# --- Chorus side: this tree (and --base COMMIT exported beside it, with this tree's parity harness)
build_chorus() { # dir
  (cd "$1" && dotnet build bench/Chorus.Bench -c Release -nologo -v quiet -clp:ErrorsOnly \
    && dotnet build src/Client -c Release -nologo -v quiet -clp:ErrorsOnly) >"$OUT/build-chorus.log" 2>&1 \
    || { cat "$OUT/build-chorus.log" >&2; echo "building Chorus in $1 failed" >&2; exit 1; }
}
TREES=("new=$ROOT")
build_chorus "$ROOT"
if [ -n "$BASE" ]; then
  B=$WORK/base-$BASE
  if [ ! -d "$B" ]; then
    mkdir -p "$B" && git archive "$BASE" | tar -x -C "$B" && ln -s "$ROOT/.cache" "$B/.cache"
    cp bench/Chorus.Bench/Engine/ParityBench.cs "$B/bench/Chorus.Bench/Engine/"
    cp bench/Chorus.Bench/Program.cs "$B/bench/Chorus.Bench/"
  fi
  cp bench/Chorus.Bench/Engine/ParityBench.cs "$B/bench/Chorus.Bench/Engine/"
  build_chorus "$B"
  TREES=("base=$B" "new=$ROOT")
fi
# post_timed URL BODY [CURL_OPTION...]: POSTs the JSON body, leaves the reply (or the whole stream) in $OUT/reply and
# prints the seconds the request took
post_timed() {
  local url=$1 body=$2 start
  shift 2
  start=$(date +%s.%N)
  curl -sf "$@" "$url" -H 'content-type: application/json' -d "$body" >"$OUT/reply" || return 1
  echo "$(date +%s.%N) - $start" | bc
}
BENCH_DLL=bench/Chorus.Bench/bin/Release/net10.0/Chorus.Bench.dll
CHORUS_DLL=src/Client/bin/Release/net10.0/chorus.dll
dotnet "$ROOT/$BENCH_DLL" parity --size "$SIZE" --out "$MODELS" --reps 1 --threads "$THREADS" >/dev/null 2>&1 # forges the model once
MODEL=$MODELS/bench-$SIZE.gguf
PROMPT="The history of the city begins with a small settlement on the river, where traders"

echo "# $(date -u '+%Y-%m-%d %H:%M') UTC  $(nproc) cores  load: $(cut -d' ' -f1-3 /proc/loadavg)  model: $MODEL  threads: $THREADS" | tee "$OUT/summary.md"
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round: load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  "$LLAMA_BIN/llama-bench" -m "$MODEL" -t "$THREADS" -p 256 -n 128 -r 5 -o jsonl 2>/dev/null \
    | jq -c --arg r "$round" '{engine: "llama.cpp", round: ($r|tonumber), test: (if .n_prompt > 0 then "pp\(.n_prompt)" else "tg\(.n_gen)" end), avg_ts, stddev_ts}' >>"$OUT/results.jsonl"
  for t in "${TREES[@]}"; do
    name=${t%%=*} dir=${t#*=}
    dotnet "$dir/$BENCH_DLL" parity --model "$MODEL" --threads "$THREADS" --reps 5 2>/dev/null \
      | jq -c --arg r "$round" --arg n "chorus-$name" '. + {engine: $n, round: ($r|tonumber)}' >>"$OUT/results.jsonl"
  done
  if [ -n "$NATIVE_LIB" ]; then
    CHORUS_LLAMA_LIB_DIR=$NATIVE_LIB dotnet "$ROOT/$BENCH_DLL" parity --model "$MODEL" --threads "$THREADS" --reps 5 2>/dev/null \
      | jq -c --arg r "$round" '. + {engine: "chorus-native", round: ($r|tonumber)}' >>"$OUT/results.jsonl"
  fi
  [ "$E2E" = 1 ] || continue
  # end to end, one model served: llama-server /completion vs chorus generate (greedy, 64 tokens, prompt re-processed each time)
  PORT=$((18600 + round))
  "$LLAMA_BIN/llama-server" -m "$MODEL" -t "$THREADS" -tb "$THREADS" -np 1 -c 2048 --port "$PORT" >"$OUT/server-$round.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done
  BODY=$(jq -nc --arg p "$PROMPT" '{prompt: $p, n_predict: 64, temperature: 0, ignore_eos: true, cache_prompt: false}')
  for i in 0 1 2 3; do
    wall=$(post_timed "http://127.0.0.1:$PORT/completion" "$BODY")
    [ "$i" = 0 ] && continue
    jq -c --arg r "$round" --arg w "$wall" '{engine: "llama.cpp", round: ($r|tonumber), test: "e2e", tokens: .timings.predicted_n,
      avg_ts: .timings.predicted_per_second, prefill_ms: .timings.prompt_ms, wall_ts: (.timings.predicted_n / ($w|tonumber))}' "$OUT/reply" >>"$OUT/results.jsonl"
  done
  # streamed to curl as it is generated: tokens ÷ the request's wall time
  SBODY=$(echo "$BODY" | jq -c '. + {stream: true}')
  for i in 0 1 2 3; do
    wall=$(post_timed "http://127.0.0.1:$PORT/completion" "$SBODY" -N)
    [ "$i" = 0 ] && continue
    tokens=$(sed -n 's/^data: //p' "$OUT/reply" | jq -s '[.[] | select(.timings != null) | .timings.predicted_n] | last')
    jq -nc --arg r "$round" --arg w "$wall" --argjson n "$tokens" '{engine: "llama.cpp", round: ($r|tonumber), test: "e2e-stream", tokens: $n, avg_ts: ($n / ($w|tonumber))}' >>"$OUT/results.jsonl"
  done
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
  # each tree as configured like llama-server (same threads); this tree also with its other settings (E2E_VARIANTS)
  SILOS=()
  for t in "${TREES[@]}"; do SILOS+=("$t|--Chorus:Models:0:Threads=$THREADS"); done
  [ "$VARIANTS" = 1 ] && for v in "${E2E_VARIANTS[@]}"; do SILOS+=("new-${v%%=*}=$ROOT|${v#*=}"); done
  for s in "${SILOS[@]}"; do
    t=${s%%|*} settings=${s#*|}
    name=${t%%=*} dir=${t#*=}
    # one chorus-silo process serving the model (as llama-server serves it), asked by `chorus generate --endpoint`
    GRPC=$((18700 + round)) SILO_PORT=$((18710 + round)) GATEWAY=$((18720 + round)) HTTP=$((18730 + round))
    # shellcheck disable=SC2086 # settings are several arguments
    dotnet "$dir/src/Client/bin/Release/net10.0/chorus-silo.dll" --Chorus:Cluster:Provider=development \
      --Chorus:Cluster:SiloPort=$SILO_PORT --Chorus:Cluster:GatewayPort=$GATEWAY --Chorus:Cluster:GrpcPort=$GRPC \
      --Chorus:Cluster:HttpPort=$HTTP --Chorus:Cluster:PrimarySilo=127.0.0.1:$SILO_PORT --Logging:LogLevel:Default=Warning \
      --Chorus:Models:0:Id=bench --Chorus:Models:0:Path="$MODEL" $settings \
      --Chorus:Models:0:ContextSize=2048 --Chorus:Models:0:MaxSequences=1 >"$OUT/silo-$name-$round.log" 2>&1 &
    SILO=$!
    for i in 0 1 2 3; do
      line=""
      for _ in $(seq 1 150); do # the first request waits for the silo to serve the model
        line=$(dotnet "$dir/$CHORUS_DLL" generate --endpoint "http://127.0.0.1:$GRPC" -m bench -n 64 --json "$PROMPT" 2>/dev/null \
          | python3 bench/parity/stream-rate.py 2>/dev/null) && break
        sleep 0.2
      done
      [ "$i" = 0 ] && continue
      echo "$line" | jq -c --arg r "$round" --arg n "chorus-$name" '. + {engine: $n, round: ($r|tonumber), test: "e2e"}' >>"$OUT/results.jsonl"
    done
    # the same request over the OpenAI HTTP API, as llama-server was asked: whole (e2e-http) and streamed (e2e-stream)
    if curl -sf "http://127.0.0.1:$HTTP/v1/models" >/dev/null; then
      CBODY=$(jq -nc --arg p "$PROMPT" '{model: "bench", prompt: $p, max_tokens: 64, temperature: 0}')
      for i in 0 1 2 3; do
        wall=$(post_timed "http://127.0.0.1:$HTTP/v1/completions" "$CBODY")
        [ "$i" = 0 ] && continue
        jq -c --arg r "$round" --arg n "chorus-$name" --arg w "$wall" '{engine: $n, round: ($r|tonumber), test: "e2e-http",
          tokens: .usage.completion_tokens, avg_ts: (.usage.completion_tokens / ((.chorus.timings.total_ms - .chorus.timings.prefill_ms) / 1000)),
          prefill_ms: .chorus.timings.prefill_ms, wall_ts: (.usage.completion_tokens / ($w|tonumber))}' "$OUT/reply" >>"$OUT/results.jsonl"
      done
      SBODY=$(echo "$CBODY" | jq -c '. + {stream: true, stream_options: {include_usage: true}}')
      for i in 0 1 2 3; do
        wall=$(post_timed "http://127.0.0.1:$HTTP/v1/completions" "$SBODY" -N)
        [ "$i" = 0 ] && continue
        tokens=$(sed -n 's/^data: //p' "$OUT/reply" | grep -v '^\[DONE\]' | jq -s '[.[] | select(.usage != null) | .usage.completion_tokens] | last')
        jq -nc --arg r "$round" --arg n "chorus-$name" --arg w "$wall" --argjson t "$tokens" '{engine: $n, round: ($r|tonumber), test: "e2e-stream", tokens: $t, avg_ts: ($t / ($w|tonumber))}' >>"$OUT/results.jsonl"
      done
    fi
    kill "$SILO"; wait "$SILO" 2>/dev/null || true
  done
done
echo "# end load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/summary.md"
python3 bench/parity/summarize.py "$OUT/results.jsonl" | tee -a "$OUT/summary.md"
echo "raw: $OUT/results.jsonl" >&2
