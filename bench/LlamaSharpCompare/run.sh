#!/usr/bin/env bash
# Two models decoding at once: LLamaSharp 0.30.0 against Chorus.Llama, each engine in its own process (their
# libllama builds must not meet in one), interleaved over rounds. Prints the raw JSON lines and a markdown table.
# llamasharp-nolock is the control: LLamaSharp's own native decode binding called without its static lock.
# Usage: bench/LlamaSharpCompare/run.sh [--rounds 3] [--tokens 128] [--reps 3] [--pair small|zoo]
#   small: two forged ~20M-parameter F32 models of one shape (seeds 101 and 202, forged once into obj/models)
#   zoo:   models/zoo/wiki-expert.gguf and shakespeare-expert.gguf (trained, 2 layers x 128, Q8_0: ~0.2 ms a token)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ROUNDS=3 TOKENS=128 REPS=3 PAIR=small
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --tokens) TOKENS=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --pair) PAIR=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

dotnet build "$HERE/LlamaSharpCompare.csproj" -c Release -nologo -v q >&2
BENCH=(dotnet "$HERE/bin/Release/net10.0/LlamaSharpCompare.dll")
case "$PAIR" in
  small) "${BENCH[@]}" forge "$HERE/obj/models"; A="$HERE/obj/models/small-seed101.gguf"; B="$HERE/obj/models/small-seed202.gguf" ;;
  zoo) A="$ROOT/models/zoo/wiki-expert.gguf"; B="$ROOT/models/zoo/shakespeare-expert.gguf" ;;
  *) echo "unknown pair $PAIR (small, zoo)" >&2; exit 2 ;;
esac

RESULTS=$(mktemp)
trap 'rm -f "$RESULTS"' EXIT
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(nproc) cores  load before:$(uptime | sed 's/.*load average://')"
echo "# bench/LlamaSharpCompare/run.sh --rounds $ROUNDS --tokens $TOKENS --reps $REPS --pair $PAIR"
for round in $(seq 1 "$ROUNDS"); do
  for engine in llamasharp llamasharp-nolock chorus; do
    "${BENCH[@]}" "$engine" --a "$A" --b "$B" --tokens "$TOKENS" --reps "$REPS" 2>/dev/null | tee -a "$RESULTS"
  done
done
echo "# load after:$(uptime | sed 's/.*load average://')"
echo
python3 "$HERE/summarize.py" "$RESULTS"
