#!/usr/bin/env python3
"""Turns the results file of scripts/bench.sh into markdown tables (stdout).

  bench_report.py RESULTS_TSV

The file's tab-separated lines, in the order the bench wrote them:
  T  text                                  title paragraph line
  S  system_id  column name                one system (a table column), in column order
  W  workload_id  label                    one workload (a table row), in row order
  V  system_id  workload_id  seconds  rss_kib  cache_bytes
                                           one measurement; the system "baseline" has no rss/cache;
                                           seconds may be a word (n/a, timeout, fail(rc=1)...)
  N  text                                  a note printed under the tables
A workload's ratio is baseline seconds / system seconds (above 1: faster than the baseline).
"""
import sys


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def mib(text, divisor):
    value = number(text)
    return "-" if value is None else "%d" % round(value / divisor)


def main(path):
    title, systems, workloads, notes, values = [], [], [], [], {}
    with open(path) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            kind = cols[0]
            if kind == "T":
                title.append(cols[1])
            elif kind == "S":
                systems.append((cols[1], cols[2]))
            elif kind == "W":
                workloads.append((cols[1], cols[2]))
            elif kind == "N":
                notes.append(cols[1])
            elif kind == "V":
                values[(cols[1], cols[2])] = (cols + ["", "", ""])[3:6]

    def ratio(system, workload):
        base = number(values.get(("baseline", workload), [None])[0])
        secs = number(values.get((system, workload), [None])[0])
        if base is None or secs is None or secs <= 0:
            return None
        return base / secs

    def cell(system, workload):
        if (system, workload) not in values:
            return "-"
        secs = values[(system, workload)][0]
        if number(secs) is None:
            return secs
        r = ratio(system, workload)
        text = "%.2f s" % number(secs)
        return text if r is None or system == "baseline" else "%s (%.2fx)" % (text, r)

    print("\n".join(title))
    print()
    columns = [("baseline", "baseline")] + systems
    print("| workload | " + " | ".join(name for _, name in columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for wid, label in workloads:
        print("| %s | %s |" % (label, " | ".join(cell(sid, wid) for sid, _ in columns)))
    print()
    print("Ratio = baseline time / time (1.00x: as fast as the baseline). Per measurement:")
    print()
    print("| workload | system | seconds | ratio | peak RSS MiB | peak cache disk MiB |")
    print("|---|---|---|---|---|---|")
    for wid, label in workloads:
        for sid, name in systems:
            if (sid, wid) not in values:
                continue
            secs, rss, cache = values[(sid, wid)]
            r = ratio(sid, wid)
            print("| %s | %s | %s | %s | %s | %s |" % (
                label, name, secs, "-" if r is None else "%.2fx" % r, mib(rss, 1024),
                mib(cache, 1048576)))
    if notes:
        print()
        print("\n".join(notes))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: bench_report.py RESULTS_TSV")
    main(sys.argv[1])
