#!/usr/bin/env bash
# Rebuilds the model zoo (models/zoo/*.gguf, Q8_0) from the public corpora with `chorus forge vocab` and `chorus forge train`.
# Training is step-limited (time caps are only a safety net), so a faster machine gives the same schedule.
#
#   CHORUS      the chorus command (default: dotnet run --project src/Client --)
#   CORPORA     corpus folder (default: data/corpora of this repository)
#   THREADS     CPU threads per training (default: 2)
#   PARALLEL=1  train the independent models concurrently (for machines with ≥ 2×THREADS×5 cores)
#   ZOO, WORK   where the models and the logs/intermediates go (default: models/zoo, models/build)
#   STEPS_SCALE multiply every step budget (e.g. 0.1 for a quick smoke build)
set -euo pipefail
cd "$(dirname "$0")/.."
CHORUS=${CHORUS:-"dotnet run --project src/Client --"}
CORPORA=${CORPORA:-${CHORUS_CORPORA:-data/corpora}}
THREADS=${THREADS:-2}
PARALLEL=${PARALLEL:-0}
SCALE=${STEPS_SCALE:-1}
OUT=${ZOO:-models/zoo}
WORK=${WORK:-models/build}
mkdir -p "$OUT" "$WORK" models/vocab

steps() { awk -v s="$1" -v k="$SCALE" 'BEGIN { printf "%d", s * k }'; }

$CHORUS forge vocab --from llama-spm --size 8192 --out models/vocab/spm8k.gguf
$CHORUS forge vocab --from gpt-2 --size 8192 --out models/vocab/gpt2-8k.gguf

# The mixed corpus of the general models: the three training splits, concatenated.
cat "$CORPORA/wiki/train.txt" "$CORPORA/shakespeare/train.txt" "$CORPORA/linux/train.txt" > "$WORK/mixed-train.txt"
head -c 40000 "$CORPORA/wiki/test.txt" > "$WORK/mixed-test.txt"
head -c 40000 "$CORPORA/shakespeare/test.txt" >> "$WORK/mixed-test.txt"
head -c 40000 "$CORPORA/linux/test.txt" >> "$WORK/mixed-test.txt"

# name vocab layers embd heads ff corpus held-out steps seed [extra options…]
train() {
    local name=$1 vocab=$2 layers=$3 embd=$4 heads=$5 ff=$6 corpus=$7 heldout=$8 n=$9 seed=${10}
    shift 10
    $CHORUS forge train --vocab "models/vocab/$vocab.gguf" --layers "$layers" --embd "$embd" --heads "$heads" --ff "$ff" \
        --context-length 256 --corpus "$corpus" --held-out "$heldout" --steps "$(steps "$n")" --minutes 120 --seed "$seed" \
        --threads "${TRAIN_THREADS:-$THREADS}" --quantize q8_0 --out "$OUT/$name.gguf" --json "$@" > "$WORK/$name.json" 2> "$WORK/$name.log"
    echo "$name: $(cat "$WORK/$name.json")"
}

run() { if [ "$PARALLEL" = 1 ]; then "$@" & else "$@"; fi; }

# Domain experts (spm8k, n_embd 128, 2 layers, 4 heads, n_ff 352, ctx 256).
run train wiki-expert spm8k 2 128 4 352 "$CORPORA/wiki/train.txt" "$CORPORA/wiki/test.txt" 2400 11
run train shakespeare-expert spm8k 2 128 4 352 "$CORPORA/shakespeare/train.txt" "$CORPORA/shakespeare/test.txt" 2400 12
run train linux-expert spm8k 2 128 4 352 "$CORPORA/linux/train.txt" "$CORPORA/linux/test.txt" 2400 13
# A different vocabulary (gpt2-8k) on one domain, for heterogeneous packs.
run train wiki-expert-gpt2 gpt2-8k 2 128 4 352 "$CORPORA/wiki/train.txt" "$CORPORA/wiki/test.txt" 2400 14
# Weak-to-strong: a larger general model on all three corpora.
TRAIN_THREADS=$((THREADS * 2)) run train general-large spm8k 3 192 4 512 "$WORK/mixed-train.txt" "$WORK/mixed-test.txt" 2400 21
# …and a small general base, kept at full precision so it can be fine-tuned, then its shakespeare expert.
small() {
    train general-small spm8k 2 64 4 192 "$WORK/mixed-train.txt" "$WORK/mixed-test.txt" 2400 22 --save-f32 "$WORK/general-small.f32.gguf"
    $CHORUS forge train --model "$WORK/general-small.f32.gguf" --corpus "$CORPORA/shakespeare/train.txt" \
        --held-out "$CORPORA/shakespeare/test.txt" --steps "$(steps 900)" --minutes 120 --seed 23 --threads "$THREADS" \
        --quantize q8_0 --out "$OUT/shakespeare-small-expert.gguf" --json > "$WORK/shakespeare-small-expert.json" 2> "$WORK/shakespeare-small-expert.log"
    echo "shakespeare-small-expert: $(cat "$WORK/shakespeare-small-expert.json")"
    # The merging set (models/zoo/merging): two more experts fine-tuned from the same base, so that weight-space merging
    # (chorus merge) is meaningful. The committed files started from general-small.gguf dequantised to F32
    # (chorus merge -m general-small.gguf --type f32) because the F32 base was not kept; a rebuild starts from the F32 itself.
    mkdir -p "$OUT/merging"
    for expert in "wiki 400 31" "linux 150 33"; do
        set -- $expert
        $CHORUS forge train --model "$WORK/general-small.f32.gguf" --corpus "$CORPORA/$1/train.txt" --held-out "$CORPORA/$1/test.txt" \
            --steps "$(steps "$2")" --minutes 120 --seed "$3" --threads "$THREADS" --quantize q8_0 \
            --out "$OUT/merging/$1-small-expert.gguf" --json > "$WORK/$1-small-expert.json" 2> "$WORK/$1-small-expert.log"
        echo "$1-small-expert: $(cat "$WORK/$1-small-expert.json")"
    done
}
run small
wait
ls -la "$OUT"
