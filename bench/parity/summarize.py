"""Medians per engine and test over the rounds of run-parity.sh, and each Chorus build's ratio to llama.cpp."""
import json
import statistics
import sys
from collections import defaultdict

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
by = defaultdict(list)
walls = defaultdict(list)
for r in rows:
    by[(r["engine"], r["test"])].append(r["avg_ts"])
    if "wall_ts" in r:
        walls[(r["engine"], r["test"])].append(r["wall_ts"])
engines = sorted({r["engine"] for r in rows}, key=lambda e: (e != "llama.cpp", e))
tests = sorted({r["test"] for r in rows}, key=lambda t: (t.startswith("e2e"), t))

def med(values):
    return statistics.median(values) if values else None

def base_of(test):
    # evidence and full-logits rows compare with llama-bench's plain pp/tg; Chorus's HTTP API with llama-server's
    # /completion asked the same way (e2e-http: the whole reply; e2e-stream: streamed, both with their own rows)
    return "e2e" if test == "e2e-http" else test.split("+")[0]

print("| test | " + " | ".join(f"{e} tok/s (median, range)" for e in engines) + " | " + " | ".join(f"{e} ÷ llama.cpp" for e in engines if e != "llama.cpp") + " |")
print("|---|" + "---|" * (2 * len(engines) - 1))
for test in tests:
    cells, ratios = [], []
    ref = med(by.get(("llama.cpp", base_of(test)), []))
    for e in engines:
        v = by.get((e, test), [])
        cells.append(f"{med(v):.1f} ({min(v):.0f}–{max(v):.0f})" if v else "")
        if e != "llama.cpp":
            ratios.append(f"{med(v) / ref:.2f}" if v and ref else "")
    print(f"| {test} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    if test in ("e2e", "e2e-http"):
        cells, ratios = [], []
        ref = med(walls.get(("llama.cpp", "e2e"), []))
        for e in engines:
            v = walls.get((e, test), [])
            cells.append(f"{med(v):.1f} ({min(v):.0f}–{max(v):.0f})" if v else "")
            if e != "llama.cpp":
                ratios.append(f"{med(v) / ref:.2f}" if v and ref else "")
        print(f"| {test} incl. prefill (tokens ÷ request) | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
