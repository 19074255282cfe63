#!/usr/bin/env python3
"""Builds the held-out mixed texts of docs/quality.md ("Reference vocabulary, fair byte scoring, online weights on
new text") from files installed on a Debian machine -- no corpus text. Each text alternates prose and C chunks of
2-8 kB (a seeded random order and offsets, a chunk starts at a line and ends at a line), like `chorus eval`'s mixed
text, until it has at least --chars characters:

  tune        Python 3.11 stdlib module docstrings (prose) + /usr/include/sound and /usr/include/drm (C)
              -- used to choose parameters, never to report them
  debian      READMEs under /usr/share/doc/*/README* (prose)  + /usr/include/linux/*.h (Linux UAPI C)
  licenses    /usr/share/common-licenses/* (prose)            + /usr/include/*.h (glibc C)

Usage: bench/heldout/make-texts.py OUT_DIR [--chars 10000] [--seed 7]; prints each file's sha256.
"""
import argparse, ast, glob, gzip, hashlib, os, random


def read(path):
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
        return data.decode("utf-8")
    except (UnicodeDecodeError, OSError, EOFError):
        return ""  # binary or unreadable: skipped


def docstrings():
    out = []
    for path in sorted(glob.glob("/usr/lib/python3.11/*.py")):
        try:
            doc = ast.get_docstring(ast.parse(read(path)))
        except (SyntaxError, ValueError):
            doc = None
        if doc and len(doc) > 200:
            out.append(doc.strip() + "\n\n")
    return "".join(out)


def files(patterns):
    paths = sorted(p for pattern in patterns for p in glob.glob(pattern) if os.path.isfile(p))
    return "".join(t if t.endswith("\n") else t + "\n" for t in map(read, paths) if t.strip())


SOURCES = {
    "tune": (docstrings, lambda: files(["/usr/include/sound/*.h", "/usr/include/drm/*.h"])),
    "debian": (lambda: files(["/usr/share/doc/*/README*"]), lambda: files(["/usr/include/linux/*.h"])),
    "licenses": (lambda: files(["/usr/share/common-licenses/*"]), lambda: files(["/usr/include/*.h"])),
}


def line_start(text, at):
    if at <= 0:
        return 0
    nl = text.find("\n", min(at, len(text) - 1))
    return at if nl < 0 else min(nl + 1, len(text) - 1)


def mixed(prose, code, chars, seed):
    rnd = random.Random(seed)
    parts, total, turn = [], 0, rnd.randrange(2)
    while total < chars:
        source = (prose, code)[turn]
        turn = 1 - turn
        length = rnd.randint(2048, 8192)
        start = line_start(source, rnd.randrange(max(1, len(source) - length)))
        chunk = source[start:start + length]
        end = chunk.rfind("\n")
        if end > 0:
            chunk = chunk[:end + 1]
        parts.append(chunk)
        total += len(chunk)
    return "".join(parts)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--chars", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, (prose, code) in SOURCES.items():
        text = mixed(prose(), code(), args.chars, args.seed)
        path = os.path.join(args.out, name + ".txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print(hashlib.sha256(text.encode("utf-8")).hexdigest(), len(text), path)


if __name__ == "__main__":
    main()
