#!/usr/bin/env bash
# What llama.cpp itself gets from batching three models on this machine: the ceiling a fused 3-member pack's
# "N sessions ÷ one session" is measured against (bench/README.md, "Serving under load").
#
#   bench/load/engine-ceiling.sh LLAMA_BIN THREADS PROMPT_TOKENS GEN_TOKENS BATCHES MODEL...
#
# One llama-batched-bench process per model (BATCHES e.g. 1,8,16), all at once, each decoding B sequences in perfect
# lockstep: each sequence's prompt of PROMPT_TOKENS prefilled in one batch, then GEN_TOKENS steps of B rows, with no
# fusion, no serving and no waiting on the other models — everything a pack's session adds, left out. Each batch size
# is repeated until a process runs for a few seconds, so the three overlap for nearly all of it. Prints a markdown table:
# per batch size, the tokens/s each model generated (B × GEN_TOKENS ÷ the time, prefill included, as a client counts
# them), their mean, and × the first batch size. Needs llama-batched-bench (build/native-llama.sh llama-batched-bench).
set -euo pipefail
[ $# -ge 6 ] || { sed -n 2,12p "$0" >&2; exit 2; }
bin=$1 threads=$2 prompt=$3 gen=$4 batches=$5
shift 5
models=("$@")
[ -x "$bin/llama-batched-bench" ] || { echo "engine-ceiling: $bin/llama-batched-bench is missing (bash build/native-llama.sh llama-batched-bench)" >&2; exit 3; }
seq_ctx=$(( (prompt + gen + 255) / 256 * 256 + 256 )) # each sequence's own KV stream, with room to spare

one() { # B MODEL: generated tokens/s of one process over its repeated runs at batch B
  local b=$1 model=$2 reps npl
  reps=$(( 24 / b )); [ "$reps" -ge 2 ] || reps=2
  npl=$(printf "$b,%.0s" $(seq 1 "$reps")); npl=${npl%,}
  LD_LIBRARY_PATH=$bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$bin/llama-batched-bench" -m "$model" -c "$(( seq_ctx * b ))" \
      -b 2048 -ub 512 -npp "$prompt" -ntg "$gen" -npl "$npl" -t "$threads" 2>/dev/null \
    | awk -F'|' -v g="$gen" '$2 ~ /^ *[0-9]+ *$/ { t += $10; n += $4 * g } END { if (t > 0) printf "%.1f\n", n / t; else print "nan" }'
}

echo "| batch | tokens/s per model | mean | × batch ${batches%%,*} |"
echo "|---|---|---|---|"
first=""
for b in ${batches//,/ }; do
  tmp=$(mktemp -d)
  for i in "${!models[@]}"; do one "$b" "${models[$i]}" >"$tmp/$i" & done
  wait
  each=$(cat "$tmp"/* | paste -sd' ')
  rm -rf "$tmp"
  mean=$(echo "$each" | awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; printf "%.1f", s / NF }')
  [ -n "$first" ] || first=$mean
  echo "| $b | ${each// / · } | $mean | $(awk -v m="$mean" -v f="$first" 'BEGIN { printf "%.2f", m / f }') |"
done
