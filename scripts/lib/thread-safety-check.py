#!/usr/bin/env python3
"""Checks partfs's lock annotations with clang's -Wthread-safety.

Runs `clang++ -fsyntax-only -Wthread-safety -Werror` over every translation
unit of base/, transfer/, cache/ and fs/ listed in a build's compile_commands.json (the g++ build's
flags, compiler swapped), in parallel. Syntax-only: nothing is linked, so the
check costs a fraction of a second clang build.

usage: thread-safety-check.py BUILD_DIR [JOBS]
Exit status 0 when every file passes; 1 otherwise (clang's messages printed).
"""
import concurrent.futures
import json
import os
import shlex
import subprocess
import sys

PRODUCT_DIRS = ("base", "transfer", "cache", "fs")
CLANG_FLAGS = ["-fsyntax-only", "-Wthread-safety", "-Wthread-safety-beta", "-Werror"]
# Flags of the g++ build that clang does not take or that only matter to code generation.
DROP_PREFIXES = ("-o", "-c", "-fsanitize", "-fno-sanitize")


def clang_command(entry, root):
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    out = ["clang++"]
    skip_next = False
    for arg in args[1:]:
        if skip_next:
            skip_next = False
            continue
        if arg in ("-o", "-c"):
            skip_next = arg == "-o"
            continue
        if arg.startswith(DROP_PREFIXES):
            continue
        if arg == entry["file"] or os.path.abspath(os.path.join(entry["directory"], arg)) == entry["file"]:
            continue
        out.append(arg)
    return out + CLANG_FLAGS + [entry["file"]]


def main():
    if len(sys.argv) < 2:
        print("usage: thread-safety-check.py BUILD_DIR [JOBS]", file=sys.stderr)
        return 2
    build = sys.argv[1]
    jobs = int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count() or 2
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(build, "compile_commands.json")) as f:
        # The product's code (tests hold few locks and cost most of the parse time).
        entries = [e for e in json.load(f)
                   if any(e["file"].startswith(f"{root}/{d}/") for d in PRODUCT_DIRS)]

    def check(entry):
        cmd = clang_command(entry, root)
        r = subprocess.run(cmd, cwd=entry["directory"], capture_output=True, text=True)
        return entry["file"], r.returncode, r.stderr

    # The check must have teeth: an unguarded write of a GUARDED_BY member has to fail.
    canary = ('#include "base/mutex.h"\n'
              "namespace partfs { struct Canary { Mutex mu; int x GUARDED_BY(mu) = 0;"
              " void Touch() { x = 1; } }; }\n")
    r = subprocess.run(["clang++", "-std=c++20", "-x", "c++", "-I", root] + CLANG_FLAGS + ["-"],
                       input=canary, capture_output=True, text=True)
    if r.returncode == 0 or "requires holding mutex" not in r.stderr:
        print("thread-safety-check: clang did not flag an unguarded write; annotations are off")
        return 1

    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for path, code, err in pool.map(check, entries):
            if code != 0:
                failed += 1
                print(err, end="")
                print(f"thread-safety-check: {os.path.relpath(path, root)} failed")
    print(f"thread-safety-check: {len(entries) - failed}/{len(entries)} files pass "
          "clang -Wthread-safety -Werror")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
