"""Reads run.sh's JSON lines (one per engine and round) and prints markdown tables: medians over rounds (range)."""
import json
import statistics
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
QUIET = 0.25  # other processes took less than this many cores while both models decoded
NAMES = {"llamasharp": "LLamaSharp 0.30.0", "llamasharp-nolock": "LLamaSharp, lock bypassed (control)", "chorus": "Chorus.Llama"}
COLUMNS = [("alone_a_tps", "A alone tok/s", 0), ("alone_b_tps", "B alone tok/s", 0), ("together_tps", "A+B at once tok/s", 0),
           ("ratio", "concurrency ratio", 2), ("together_cores_busy", "cores used at once", 2),
           ("extra_ms", "extra ms in decode per thread", 0), ("together_others_cores", "others' cores meanwhile", 2)]


def extra_ms(row):
    # per thread, time inside the decode call when both run minus alone: the wait for a lock shows up here
    return statistics.mean(t - a for t, a in zip(row["together_in_decode_ms"], row["alone_in_decode_ms"]))


def cell(values, digits):
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def table(selected):
    if not selected:
        print("(none)")
        return
    print("| engine | runs | " + " | ".join(title for _, title, _ in COLUMNS) + " |")
    print("|---|---:|" + "---:|" * len(COLUMNS))
    for engine, name in NAMES.items():
        mine = [dict(r, extra_ms=extra_ms(r)) for r in selected if r["engine"] == engine]
        if mine:
            print(f"| {name} | {len(mine)} | " + " | ".join(cell([r[key] for r in mine], d) for key, _, d in COLUMNS) + " |")


first = rows[0]
print(f"A = {first['a']}, B = {first['b']}; {first['tokens']} greedy tokens per model after a 16-token prompt, "
      f"{first['threads']} thread per context; per engine the median over rounds (range), each round the median of {first['reps']} repetitions.")
print()
print("All rounds:")
print()
table(rows)
quiet = [r for r in rows if r["together_others_cores"] < QUIET]
print()
print(f"Only the runs in which other processes took < {QUIET} cores while both models decoded:")
print()
table(quiet)
print()
for engine in NAMES:
    r = next((r for r in rows if r["engine"] == engine), None)
    if r:
        lib = r["libllama"].split("net10.0/")[-1]
        print(f"- {engine}: {lib} with {r['ggml_cpu'].rsplit('/', 1)[-1]}; {r['system_info'].strip()}")
        for lock in r.get("locks", []) if engine == "llamasharp" else []:
            print(f"  - static field found by reflection: {lock}")
