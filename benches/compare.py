#!/usr/bin/env python3
"""Times pmta-lens against the tools operators reach for, on the same generated file, in one run.

    python3 benches/compare.py [--size 1G] [--runs 3] [--no-xsv] [--no-duckdb]

Generates a seeded accounting file with `cargo run --release --example gen` (kept in bench-data/,
which git ignores), warms the page cache, then takes the best of --runs wall-clock times for:

- pmta-lens summary --format json: every grouping of the summary (type, VMTA, source IP,
  rolled-up domain, classified code, per-minute timeline) plus the findings;
- DuckDB (Python package, installed with pip if missing): read_csv with the same four GROUP BYs
  (type x vmta, source IP, recipient domain, a regex-extracted code);
- awk: the same four counts with `awk -F,` (fast but wrong on this format: the quoted
  dlvEsmtpAvailable list holds commas, so every later column is shifted);
- cut | sort | uniq -c on one column, the classic one-liner (also comma-naive);
- xsv frequency on three columns (cargo install xsv if missing; --no-xsv skips).

Prints a table with seconds, GB/s and each tool's time as a multiple of pmta-lens's, and the
pmta-lens --stats line (peak anonymous memory). Absolute times drift on a shared machine; the
ratios measured in one run are the result.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "bench-data")


def parse_size(s):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    s = s.strip().upper().rstrip("B")
    if s and s[-1] in units:
        return int(float(s[:-1]) * units[s[-1]])
    return int(s)


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


def best_of(runs, cmd):
    """Best wall time of `runs` runs of a shell command (output discarded)."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return min(times)


def best_of_fn(runs, fn):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def ensure_duckdb():
    try:
        import duckdb  # noqa: F401
        return True
    except ImportError:
        print("installing duckdb with pip ...", flush=True)
        r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "duckdb"])
        if r.returncode != 0:
            return False
        import importlib
        importlib.invalidate_caches()
        return True


def ensure_xsv():
    if shutil.which("xsv"):
        return shutil.which("xsv")
    cargo_bin = os.path.expanduser("~/.cargo/bin/xsv")
    if os.path.exists(cargo_bin):
        return cargo_bin
    print("installing xsv with cargo (a few minutes) ...", flush=True)
    r = subprocess.run(["cargo", "install", "-q", "xsv", "--locked"])
    return cargo_bin if r.returncode == 0 and os.path.exists(cargo_bin) else None


def header_columns(path):
    with open(path, "rb") as f:
        return f.readline().decode().strip().split(",")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="1G", help="size of the generated file (default 1G)")
    ap.add_argument("--runs", type=int, default=3, help="runs per tool; the best counts")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--no-xsv", action="store_true")
    ap.add_argument("--no-duckdb", action="store_true")
    args = ap.parse_args()

    size = parse_size(args.size)
    os.makedirs(DATA, exist_ok=True)
    path = os.path.join(DATA, f"acct-bench-{args.size.lower()}-seed{args.seed}.csv")
    print("building release binaries ...", flush=True)
    sh("cargo build --release --quiet --bin pmta-lens --example gen", cwd=ROOT)
    binary = os.path.join(ROOT, "target", "release", "pmta-lens")
    gen = os.path.join(ROOT, "target", "release", "examples", "gen")
    if not os.path.exists(path):
        print(f"generating {path} ...", flush=True)
        sh(f"{gen} --size {size} --seed {args.seed} -o {path}")
    nbytes = os.path.getsize(path)
    cols = header_columns(path)
    col = {name: cols.index(name) + 1 for name in ("type", "vmta", "dlvSourceIp", "rcpt", "dsnDiag") if name in cols}

    # Warm the page cache so every tool reads from memory.
    sh(f"cat {path} > /dev/null")

    results = []
    cores = os.cpu_count()
    print(f"file: {path} ({nbytes / 1e9:.2f} GB), {cores} cores, best of {args.runs}", flush=True)

    t = best_of(args.runs, f"{binary} summary --format json {path}")
    results.append(("pmta-lens summary --format json", t))

    if not args.no_duckdb and ensure_duckdb():
        import duckdb

        con = duckdb.connect()
        src = f"read_csv('{path}', header=true, all_varchar=true, quote='\"', escape='\"')"
        code = (
            "coalesce(nullif(regexp_extract(dsnDiag, '(RP-00[123]|PR\\(ct1\\)|SC-001)', 1), ''),"
            " nullif(regexp_extract(dsnDiag, '[245]\\.[0-9]{1,3}\\.[0-9]{1,3}', 0), ''),"
            " nullif(regexp_extract(dsnDiag, '^smtp;([0-9]{3})', 1), ''), '(none)')"
        )
        sql = f"""
            WITH t AS (SELECT type, vmta, dlvSourceIp, lower(split_part(rcpt, '@', 2)) AS domain,
                              {code} AS code FROM {src})
            SELECT 'type_vmta', type || '/' || vmta, count(*) FROM t GROUP BY ALL
            UNION ALL SELECT 'ip', dlvSourceIp, count(*) FROM t GROUP BY ALL
            UNION ALL SELECT 'domain', domain, count(*) FROM t GROUP BY ALL
            UNION ALL SELECT 'code', code, count(*) FROM t GROUP BY ALL
        """
        t = best_of_fn(args.runs, lambda: con.execute(sql).fetchall())
        results.append(("DuckDB read_csv + 4 GROUP BYs", t))

    if col:
        awk = (
            f"awk -F, 'NR>1 {{ tv[${col['type']}\"/\"${col['vmta']}]++; ip[${col['dlvSourceIp']}]++;"
            f" n=split(${col['rcpt']}, a, \"@\"); d[tolower(a[n])]++;"
            f" if (match(${col['dsnDiag']}, /[245]\\.[0-9]+\\.[0-9]+/)) c[substr(${col['dsnDiag']}, RSTART, RLENGTH)]++ }}"
            f" END {{ for (k in tv) print k, tv[k]; for (k in ip) print k, ip[k];"
            f" for (k in d) print k, d[k]; for (k in c) print k, c[k] }}' {path}"
        )
        t = best_of(args.runs, awk)
        results.append(("awk -F, 4 counts (wrong on quoted commas)", t))
        t = best_of(args.runs, f"cut -d, -f{col['vmta']} {path} | sort | uniq -c")
        results.append(("cut | sort | uniq -c, one column", t))

    if not args.no_xsv:
        xsv = ensure_xsv()
        if xsv:
            t = best_of(args.runs, f"{xsv} frequency -s type,vmta,dlvSourceIp {path}")
            results.append(("xsv frequency, 3 columns", t))

    base = results[0][1]
    print()
    print(f"{'tool':<46} {'seconds':>8} {'GB/s':>7} {'x pmta-lens':>12}")
    for name, t in results:
        print(f"{name:<46} {t:>8.3f} {nbytes / t / 1e9:>7.2f} {t / base:>12.2f}")
    print()
    sh(f"{binary} --stats summary --format json {path} > /dev/null")


if __name__ == "__main__":
    main()
