#!/usr/bin/env bash
# The Chorus test suite: restores, fetches the pinned llama.cpp libraries (npm pack, cached in .cache/),
# builds, runs every test project, and ends with one summary line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK (dotnet) is required" >&2; exit 3; }
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
dotnet build Cluster.sln -c Release -nologo -v quiet -clp:ErrorsOnly || { echo "0 passed, 1 failed: build failed"; exit 1; }
dotnet test Cluster.sln -c Release --no-build -nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -Eo 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
