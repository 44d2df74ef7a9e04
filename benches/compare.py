#!/usr/bin/env python3
"""Times pmta-lens against the tools operators reach for, on the same generated files, in one run.

    python3 benches/compare.py [--profile esp,narrow,adversarial] [--size 1G] [--runs 3]
                               [--seed 42] [--no-xsv] [--no-duckdb] [--no-export] [--gzip]

For each profile of the generator (`cargo run --release --example gen -- --profile NAME`):

- narrow: the bench file of earlier measurements (one sender, 7 VMTAs, 16 domains, 3 jobs);
- esp: a large sender's day (240 VMTAs in 6 pools, 2,400 jobs, 100,000+ recipient domains on a
  Zipf tail, about 1.5 M distinct recipients per GiB, per-row ids in Gmail and Microsoft replies,
  RP-00x in three written forms);
- adversarial: every row a new recipient domain, jobId and envId;

it generates the file once (kept in bench-data/, which git ignores, named by profile, size and
seed, with a PowerMTA config for the profile's VMTAs and pools next to it: `gen --config-out`;
delete bench-data/ after changing the generator), warms the page cache, then takes the best of
--runs wall-clock times for:

- pmta-lens summary --format json: every grouping of the summary (type, VMTA, source IP,
  rolled-up domain, classified code, per-minute timeline) plus the findings;
- the same with --config of the generated config (adds the connection budget and estimate);
- the dashboard's complete first scan (examples/loader.rs: counts, snapshots, the analyses'
  follow-up and the connection estimate, everything before "scan complete"), without and with
  the config, and its ratio to summary's with the same options;
- pmta-lens rows --where code=RP-002 | wc -l, against grep -c RP-002 (the counts differ: rows
  classifies, grep matches text anywhere; both are printed);
- with --gzip: the file compressed once (gzip -6, cached beside it), decompressed by our decoder
  on one thread (examples/gunzip.rs) and by zcat > /dev/null, then summary on the .gz;
- pmta-lens export --format parquet (into a fresh directory each run) against DuckDB's
  `COPY (SELECT * FROM read_csv(...)) TO '...parquet' (FORMAT parquet, COMPRESSION zstd)`
  (--no-export skips both); the table's last column notes the output's size;
- DuckDB (Python package, installed with pip if missing): read_csv with the same four GROUP BYs
  (type x vmta, source IP, recipient domain, a regex-extracted code), run in a child Python
  process; its time is the query's, measured inside the child (interpreter start and import
  excluded), its memory includes the interpreter's;
- awk: the same four counts with `awk -F,` (fast but wrong on this format: the quoted
  dlvEsmtpAvailable list holds commas, so every later column is shifted);
- cut | sort | uniq -c on one column, the classic one-liner (also comma-naive);
- xsv frequency on three columns (cargo install xsv if missing; --no-xsv skips).

Every tool's peak anonymous memory is measured the same way: a thread polls RssAnon in
/proc/PID/status every 5 ms while the command runs and keeps the peak of the sum over the
command's process tree (the shell, and every process of a pipeline); page-cache pages of the
file are not anonymous and do not count. With --runs above 1 the largest peak of the runs is
shown.

Prints a one-line header (date, machine, load average, the exact command), then per profile a markdown table
(seconds, GB/s, time as a multiple of pmta-lens summary's, peak anonymous memory) that can be
pasted into docs/performance.md, the match counts, and pmta-lens's own --stats lines. Absolute
times drift on a shared machine; the ratios measured in one run are the result.
"""

import argparse
import datetime
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "bench-data")
PROFILES = ("esp", "narrow", "adversarial")
POLL_SECS = 0.005

DUCKDB_CHILD = r"""
import sys, time
import duckdb
sql = sys.stdin.read()
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
t = time.perf_counter()
rows = con.execute(sql).fetchall()
print("query-seconds", time.perf_counter() - t, len(rows))
"""


def parse_size(s):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    s = s.strip().upper().rstrip("B").rstrip("I")
    if s and s[-1] in units:
        return int(float(s[:-1]) * units[s[-1]])
    return int(s)


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


# --- peak anonymous memory of a process tree ---------------------------------------------------


def rss_anon(pid):
    """RssAnon of one process in bytes (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def children(pid):
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids.extend(int(k) for k in f.read().split())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return kids


def tree_anon(root):
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += rss_anon(pid)
        stack.extend(children(pid))
    return total


class PeakAnon(threading.Thread):
    """Polls the summed RssAnon of a process tree every 5 ms and keeps the peak."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self):
        while not self.done.is_set():
            self.peak = max(self.peak, tree_anon(self.pid))
            self.done.wait(POLL_SECS)

    def stop(self):
        self.done.set()
        self.join()
        return self.peak


def measured(cmd, stdin=None):
    """Runs a command (a shell string or an argv list); returns (seconds, peak anon bytes,
    stdout, stderr)."""
    t = time.perf_counter()
    p = subprocess.Popen(
        cmd,
        shell=isinstance(cmd, str),
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    poller = PeakAnon(p.pid)
    poller.start()
    out, err = p.communicate(stdin)
    secs = time.perf_counter() - t
    peak = poller.stop()
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {cmd}\n{err.decode(errors='replace')}")
    return secs, peak, out.decode(errors="replace"), err.decode(errors="replace")


def best_of(runs, cmd, stdin=None, inner_time=False):
    """Best time and largest peak of `runs` runs; the output of the last. With inner_time, the
    time is what the command prints after `query-seconds` (DuckDB's query time)."""
    best, peak, out = None, 0, ""
    for _ in range(runs):
        secs, p, out, _ = measured(cmd, stdin)
        if inner_time:
            line = next(l for l in out.splitlines() if l.startswith("query-seconds "))
            secs = float(line.split()[1])
        best = secs if best is None else min(best, secs)
        peak = max(peak, p)
    return best, peak, out


# --- the tools ---------------------------------------------------------------------------------


def ensure_duckdb():
    try:
        import duckdb  # noqa: F401
        return True
    except ImportError:
        print("installing duckdb with pip ...", file=sys.stderr, flush=True)
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
    print("installing xsv with cargo (a few minutes) ...", file=sys.stderr, flush=True)
    r = subprocess.run(["cargo", "install", "-q", "xsv", "--locked"])
    return cargo_bin if r.returncode == 0 and os.path.exists(cargo_bin) else None


def header_columns(path):
    with open(path, "rb") as f:
        return f.readline().decode().strip().split(",")


def mb(n):
    return f"{n / 1e6:.1f} MB"


def csv_source(path):
    return f"read_csv('{path}', header=true, all_varchar=true, quote='\"', escape='\"')"


def duckdb_copy_sql(path, out):
    """DuckDB's CSV-to-Parquet conversion, the baseline of `pmta-lens export`."""
    return f"COPY (SELECT * FROM {csv_source(path)}) TO '{out}' (FORMAT parquet, COMPRESSION zstd)"


def tree_bytes(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def duckdb_sql(path):
    src = csv_source(path)
    code = (
        "coalesce(nullif(regexp_extract(dsnDiag, '(RP-00[123]|PR\\(ct1\\)|SC-001)', 1), ''),"
        " nullif(regexp_extract(dsnDiag, '[245]\\.[0-9]{1,3}\\.[0-9]{1,3}', 0), ''),"
        " nullif(regexp_extract(dsnDiag, '^smtp;([0-9]{3})', 1), ''), '(none)')"
    )
    return f"""
        WITH t AS (SELECT type, vmta, dlvSourceIp, lower(split_part(rcpt, '@', 2)) AS domain,
                          {code} AS code FROM {src})
        SELECT 'type_vmta', type || '/' || vmta, count(*) FROM t GROUP BY ALL
        UNION ALL SELECT 'ip', dlvSourceIp, count(*) FROM t GROUP BY ALL
        UNION ALL SELECT 'domain', domain, count(*) FROM t GROUP BY ALL
        UNION ALL SELECT 'code', code, count(*) FROM t GROUP BY ALL
    """


def generate(gen, profile, size_arg, seed):
    """The cached file and config of a profile; generates what is missing."""
    stem = os.path.join(DATA, f"acct-{profile}-{size_arg.lower()}-seed{seed}")
    path, config = stem + ".csv", stem + ".pmta-config"
    note = "cached"
    if not os.path.exists(path):
        print(f"generating {path} ...", file=sys.stderr, flush=True)
        t = time.perf_counter()
        subprocess.run(
            [gen, "--profile", profile, "--size", str(parse_size(size_arg)), "--seed", str(seed),
             "-o", path, "--config-out", config],
            check=True, capture_output=True, text=True,
        )
        note = f"generated in {time.perf_counter() - t:.1f} s"
    if not os.path.exists(config):
        sh(f"{gen} --profile {profile} --rows 1 -o /dev/null --config-out {config}",
           stderr=subprocess.DEVNULL)
    return path, config, note


def bench_profile(args, profile, binary, gen, loader, gunzip, xsv):
    path, config, note = generate(gen, profile, args.size, args.seed)
    nbytes = os.path.getsize(path)
    cols = header_columns(path)
    col = {n: cols.index(n) + 1 for n in ("type", "vmta", "dlvSourceIp", "rcpt", "dsnDiag") if n in cols}
    q = shlex.quote
    # Warm the page cache so every tool reads from memory.
    sh(f"cat {q(path)} > /dev/null")

    results = []  # (tool, seconds, peak)

    def timed(name, cmd, **kw):
        t, peak, out = best_of(args.runs, cmd, **kw)
        results.append((name, t, peak))
        return out

    timed("pmta-lens summary --format json", f"{binary} summary --format json {q(path)} > /dev/null")
    timed("pmta-lens summary --format json --config (generated)",
          f"{binary} summary --format json --config {q(config)} {q(path)} > /dev/null")
    timed("dashboard first scan (examples/loader)", f"{loader} {q(path)} > /dev/null")
    timed("dashboard first scan, --config (examples/loader)",
          f"{loader} --config {q(config)} {q(path)} > /dev/null")
    rows_out = timed("pmta-lens rows --where code=RP-002 \\| wc -l",
                     f"{binary} rows --where code=RP-002 {q(path)} | wc -l")
    grep_out = timed("grep -c RP-002", f"grep -c RP-002 {q(path)}")

    have_duckdb = not args.no_duckdb and ensure_duckdb()
    if have_duckdb:
        timed("DuckDB read_csv + 4 GROUP BYs", [sys.executable, "-c", DUCKDB_CHILD],
              stdin=duckdb_sql(path).encode(), inner_time=True)

    sizes = {}
    if not args.no_export:
        # A fresh directory each run (a rerun into the same one would export nothing); exit 2
        # only says malformed rows were skipped.
        out = os.path.join(DATA, f"export-{profile}")
        name = "pmta-lens export --format parquet"
        timed(name, f"rm -rf {q(out)}; {binary} export --format parquet --host bench --out {q(out)} "
                    f"{q(path)} || [ $? -eq 2 ]")
        sizes[name] = tree_bytes(out)
        shutil.rmtree(out, ignore_errors=True)
        if have_duckdb:
            pq = os.path.join(DATA, f"duckdb-{profile}.parquet")
            name = "DuckDB COPY read_csv TO parquet (zstd)"
            timed(name, [sys.executable, "-c", DUCKDB_CHILD],
                  stdin=duckdb_copy_sql(path, pq).encode(), inner_time=True)
            sizes[name] = tree_bytes(pq)
            os.remove(pq)

    if len(col) == 5:
        awk = (
            f"awk -F, 'NR>1 {{ tv[${col['type']}\"/\"${col['vmta']}]++; ip[${col['dlvSourceIp']}]++;"
            f" n=split(${col['rcpt']}, a, \"@\"); d[tolower(a[n])]++;"
            f" if (match(${col['dsnDiag']}, /[245]\\.[0-9]+\\.[0-9]+/)) c[substr(${col['dsnDiag']}, RSTART, RLENGTH)]++ }}"
            f" END {{ for (k in tv) print k, tv[k]; for (k in ip) print k, ip[k];"
            f" for (k in d) print k, d[k]; for (k in c) print k, c[k] }}' {q(path)} > /dev/null"
        )
        timed("awk -F, 4 counts (wrong on quoted commas)", awk)
        timed("cut \\| sort \\| uniq -c, one column",
              f"cut -d, -f{col['vmta']} {q(path)} | sort | uniq -c > /dev/null")

    if args.gzip:
        gz = path + ".gz"
        if not os.path.exists(gz):
            print(f"compressing {gz} ...", file=sys.stderr, flush=True)
            sh(f"gzip -6 -c {q(path)} > {q(gz)}.tmp && mv {q(gz)}.tmp {q(gz)}")
        sh(f"cat {q(gz)} > /dev/null")
        timed("gunzip, our decoder, one thread (examples/gunzip)", f"{gunzip} {q(gz)} > /dev/null")
        timed("zcat > /dev/null", f"zcat {q(gz)} > /dev/null")
        timed("pmta-lens summary --format json on the .gz",
              f"{binary} summary --format json {q(gz)} > /dev/null")

    if xsv:
        timed("xsv frequency, 3 columns", f"{xsv} frequency -s type,vmta,dlvSourceIp {q(path)} > /dev/null")

    # pmta-lens's own account of the run (records, GB/s, its peak anonymous memory).
    stats = []
    for extra in ("", f" --config {q(config)}"):
        _, _, _, err = measured(f"{binary} --stats summary --format json{extra} {q(path)} > /dev/null")
        stats.extend(line for line in err.splitlines() if line.startswith("pmta-lens:"))
    records = stats[0].split()[1] if stats else "?"

    base = results[0][1]
    print()
    print(f"### {profile}: {os.path.relpath(path, ROOT)}, {nbytes / 1e9:.2f} GB, {records} records ({note})")
    print()
    print("| tool | seconds | GB/s | x pmta-lens summary | peak anon memory | output |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, t, peak in results:
        written = mb(sizes[name]) if name in sizes else ""
        print(f"| {name} | {t:.3f} | {nbytes / t / 1e9:.2f} | {t / base:.2f} | {mb(peak)} | {written} |")
    print()
    rows_n = int(rows_out.split()[0]) - 1 if rows_out.split() else 0
    grep_n = grep_out.strip() or "?"
    print(f"- matches: pmta-lens rows --where code=RP-002: {rows_n} rows (header excluded); "
          f"grep -c RP-002: {grep_n} lines")
    # The dashboard's complete scan against summary's with the same options (issue 9: at most
    # 1.5x): the first two rows, then the connection estimate's pair.
    t = {name: secs for name, secs, _ in results}
    print(f"- dashboard / summary, same options: "
          f"{t['dashboard first scan (examples/loader)'] / results[0][1]:.2f}x without a config, "
          f"{t['dashboard first scan, --config (examples/loader)'] / results[1][1]:.2f}x with one")
    for line in stats:
        print(f"- `{line}`")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default=",".join(PROFILES),
                    help="comma-separated profiles of the generator (default: esp,narrow,adversarial)")
    ap.add_argument("--size", default="1G", help="size of each generated file (default 1G)")
    ap.add_argument("--runs", type=int, default=3, help="runs per tool; the best counts")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--no-xsv", action="store_true")
    ap.add_argument("--no-duckdb", action="store_true")
    ap.add_argument("--no-export", action="store_true",
                    help="skip pmta-lens export and DuckDB's COPY ... TO parquet")
    ap.add_argument("--gzip", action="store_true",
                    help="also time decompression (ours and zcat) and summary on a .gz copy")
    args = ap.parse_args()
    profiles = [p.strip() for p in args.profile.split(",") if p.strip()]
    for p in profiles:
        if p not in PROFILES:
            ap.error(f"unknown profile {p!r} (choose from {', '.join(PROFILES)})")
    parse_size(args.size)

    os.makedirs(DATA, exist_ok=True)
    print("building release binaries ...", file=sys.stderr, flush=True)
    sh("cargo build --release --quiet --bin pmta-lens --example gen --example loader --example gunzip",
       cwd=ROOT)
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    # pmta-lens lowers its own CPU and I/O priority by default (a good neighbour to PowerMTA);
    # measured against tools that run at normal priority, it must run at normal priority too.
    binary = shlex.quote(os.path.join(target, "release", "pmta-lens")) + " --priority normal"
    gen = os.path.join(target, "release", "examples", "gen")
    loader = os.path.join(target, "release", "examples", "loader")
    gunzip = os.path.join(target, "release", "examples", "gunzip")
    xsv = None if args.no_xsv else ensure_xsv()

    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = "python3 " + " ".join(shlex.quote(a) for a in sys.argv)
    load = os.getloadavg()[0]
    print(f"{now}, nproc {len(os.sched_getaffinity(0))}{', ' + cpu if cpu else ''}, load {load:.2f}, "
          f"best of {args.runs}, warm page cache: `{command}`")
    for p in profiles:
        bench_profile(args, p, binary, gen, loader, gunzip, xsv)


if __name__ == "__main__":
    main()
