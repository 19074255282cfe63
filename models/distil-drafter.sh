#!/usr/bin/env bash
# Distils a drafter from a pack (issue 24): (a) the fused pack's own greedy continuations of prompts cut from the corpora's
# TRAINING splits (never the test splits) become a text corpus; (b) general-small (F32, or the Q8_0 file dequantised to
# F32) is fine-tuned on that text with TRAINING.md's recipe and saved as Q8_0. A drafter only pays when it predicts what the
# pack will emit, so it learns from the pack's outputs, not from the corpora.
#
#   CHORUS    the chorus command (default: dotnet src/Client/bin/Release/net10.0/chorus.dll, built with -c Release)
#   CORPORA   corpus folder (default: data/corpora)
#   MEMBERS   the pack, space-separated zoo names in role order (default: "general-large wiki-expert")
#   METHOD    fusion method (default: uniform)
#   NAME      output name (default: large-wiki-drafter) -> models/zoo/drafters/$NAME.gguf
#   PROMPTS   prompts per corpus (default: 40); TOKENS continuation length (default: 64)
#   STEPS     fine-tuning steps, one 256-token window each (default: 300); SEED (default: 41); THREADS (default: 2)
#   BASE      the model fine-tuned (default: general-small, dequantised from models/zoo/general-small.gguf)
#   WORK      intermediates (default: models/build/distil-$NAME)
set -euo pipefail
cd "$(dirname "$0")/.."
CHORUS=${CHORUS:-"dotnet src/Client/bin/Release/net10.0/chorus.dll"}
CORPORA=${CORPORA:-${CHORUS_CORPORA:-data/corpora}}
MEMBERS=${MEMBERS:-"general-large wiki-expert"}
METHOD=${METHOD:-uniform}
NAME=${NAME:-large-wiki-drafter}
PROMPTS=${PROMPTS:-40}
TOKENS=${TOKENS:-64}
STEPS=${STEPS:-300}
SEED=${SEED:-41}
THREADS=${THREADS:-2}
BASE=${BASE:-general-small}
WORK=${WORK:-models/build/distil-$NAME}
OUT=models/zoo/drafters/$NAME.gguf
mkdir -p "$WORK" models/zoo/drafters

# (a) prompts: evenly spaced lines of each training split, their first 6-12 words (a line-start prompt is what a user types)
python3 - "$CORPORA" "$PROMPTS" "$SEED" > "$WORK/prompts.txt" <<'PY'
import random, sys
corpora, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
for corpus in ("wiki", "shakespeare", "linux"):
    lines = [l.strip() for l in open(f"{corpora}/{corpus}/train.txt", encoding="utf-8") if len(l.split()) >= 6]
    for i in range(n):
        words = lines[(i * len(lines)) // n].split()
        print(" ".join(words[: rng.randint(6, 12)]).replace("\t", " "))
PY

# one silo serves the pack over its OpenAI-compatible HTTP API for every prompt (a client process or an in-process silo
# per prompt would cost seconds of start-up each on a loaded machine). One thread per model: two threads per model on the
# shared 2-core machine spun against each other at ~870 ms per fused step; one thread ran the whole pass in minutes.
SILO=${SILO:-"dotnet src/Silo/bin/Release/net10.0/chorus-silo.dll"}
port=$((20000 + RANDOM % 20000))
silo_args=(--Chorus:Cluster:Provider=development --Chorus:Cluster:SiloPort=$((port + 1)) --Chorus:Cluster:GatewayPort=$((port + 2))
    --Chorus:Cluster:GrpcPort=$((port + 3)) --Chorus:Cluster:HttpPort=$port --ParentProcessId=$$ --Logging:LogLevel:Default=Warning)
i=0
for m in $MEMBERS; do
    silo_args+=(--Chorus:Models:$i:Id=$m --Chorus:Models:$i:Path=models/zoo/$m.gguf --Chorus:Models:$i:ContextSize=256 --Chorus:Models:$i:Threads=1)
    i=$((i + 1))
done
text="$WORK/pack-outputs.txt"
if [ ! -s "$text" ] || [ "${REGENERATE:-0}" = 1 ]; then
    $SILO "${silo_args[@]}" > "$WORK/silo.log" 2>&1 &
    silo=$!
    trap 'kill $silo 2> /dev/null || true' EXIT
    start=$(date +%s)
    # the fused pack's greedy continuation of each prompt; prompt and continuation together form one training passage
    python3 - "http://127.0.0.1:$port" "$METHOD" "$TOKENS" "$WORK/prompts.txt" $MEMBERS > "$text" <<'PY2'
import json, sys, time, urllib.request
url, method, tokens, prompts, members = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]
for _ in range(180):
    try:
        urllib.request.urlopen(url + "/v1/models", timeout=5).read(); break
    except OSError:
        time.sleep(1)
for prompt in open(prompts, encoding="utf-8").read().splitlines():
    body = {"model": members[0], "prompt": prompt, "max_tokens": tokens, "temperature": 0,
            "chorus": {"members": members, "method": method}}
    request = urllib.request.Request(url + "/v1/completions", json.dumps(body).encode(), {"content-type": "application/json"})
    answer = json.load(urllib.request.urlopen(request, timeout=300))
    sys.stdout.write(prompt + answer["choices"][0]["text"] + "\n\n")
PY2
    kill $silo 2> /dev/null || true
    echo "pack outputs: $(wc -l < "$WORK/prompts.txt") prompts, $(wc -c < "$text") bytes in $(( $(date +%s) - start )) s"
fi

# (b) fine-tune the base on the pack's outputs (TRAINING.md: AdamW lr 2e-4, β2 0.99, 50 warm-up steps, cosine to 2e-5)
# every tenth passage is held out, so the log shows how well the drafter predicts pack text it has not seen
awk -v RS= -v ORS='\n\n' 'NR % 10 == 0' "$text" > "$WORK/held-out.txt"
awk -v RS= -v ORS='\n\n' 'NR % 10 != 0' "$text" > "$WORK/train.txt"
base="$WORK/$BASE.f32.gguf"
[ -s "$base" ] || $CHORUS merge -m "models/zoo/$BASE.gguf" --type f32 --out "$base"
$CHORUS forge train --model "$base" --corpus "$WORK/train.txt" --held-out "$WORK/held-out.txt" --steps "$STEPS" --minutes 15 --seed "$SEED" --threads "$THREADS" \
    --quantize q8_0 --out "$OUT" --json > "$WORK/train.json" 2> "$WORK/train.log"
echo "$NAME: $(cat "$WORK/train.json")"
