#!/usr/bin/env bash
# The 2-member fused step in one in-process silo, this tree against an earlier commit, in interleaved rounds on the same
# machine (bench/README.md, "Local fast path"). Each run measures its own floor (the members stepping at once on plain
# threads, no cluster) right before its silo, so every ratio is taken under the load of its own moment.
#
#   bench/Chorus.ClusterBench/before-after.sh BASE_COMMIT [ROUNDS=3] [TOKENS=64]
#
# The base tree is exported beside the cache (.cache/cluster-base-COMMIT) with this tree's ClusterBench.cs, so both sides
# run the same harness.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD BASE=$1 ROUNDS=${2:-3} TOKENS=${3:-64}
B=$ROOT/.cache/cluster-base-$BASE
if [ ! -d "$B" ]; then
  mkdir -p "$B" && git archive "$BASE" | tar -x -C "$B" && ln -s "$ROOT/.cache" "$B/.cache"
fi
cp bench/Chorus.ClusterBench/ClusterBench.cs "$B/bench/Chorus.ClusterBench/"
for dir in "$B" "$ROOT"; do
  (cd "$dir" && dotnet build bench/Chorus.ClusterBench -c Release -nologo -v quiet -clp:ErrorsOnly) || { echo "building $dir failed" >&2; exit 1; }
done
DLL=bench/Chorus.ClusterBench/bin/Release/net10.0/Chorus.ClusterBench.dll
echo "| round | tree | load | fused step (ms) | ÷ slowest single step | ÷ members stepping at once, no cluster |"
echo "|---|---|---|---|---|---|"
for round in $(seq 1 "$ROUNDS"); do
  for t in "before=$B" "after=$ROOT"; do
    name=${t%%=*} dir=${t#*=}
    load=$(cut -d' ' -f1 /proc/loadavg)
    row=$(dotnet "$dir/$DLL" --members 2 --in-process-only --no-concurrent --tokens "$TOKENS" | grep '^| one silo, in-process | 2 |')
    echo "$row" | awk -F'|' -v r="$round" -v n="$name" -v l="$load" '{ printf "| %s | %s | %s |%s|%s|%s|\n", r, n, l, $4, $5, $6 }'
  done
done
