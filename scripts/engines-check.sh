#!/usr/bin/env bash
# The Parquet export read by the real engines: generates a few MB of accounting log (the `esp`
# profile: hundreds of VMTAs, a long tail of domains, rule codes in several written forms),
# exports it, and checks that the rows per rolled-up domain, per code and per VMTA that DuckDB
# and chDB (ClickHouse's engine, embedded) count in the parts equal `summary --format json`'s
# exactly. Both engines are installed with pip when missing; without them (no network) the
# check is skipped with a message and exit 0. Run by .ci/run after the tests.
#
#   scripts/engines-check.sh [SIZE]     (default 4M)
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-4M}"
target="${CARGO_TARGET_DIR:-target}"

have_engines() { python3 -c 'import duckdb, chdb' >/dev/null 2>&1; }
if ! command -v python3 >/dev/null 2>&1; then
    echo "engines-check: skipped: no python3"
    exit 0
fi
if ! have_engines; then
    echo "engines-check: installing duckdb and chdb with pip ..."
    python3 -m pip install -q duckdb chdb </dev/null >/dev/null 2>&1 \
        || python3 -m pip install -q --break-system-packages duckdb chdb </dev/null >/dev/null 2>&1 \
        || true
fi
if ! have_engines; then
    echo "engines-check: skipped: pip could not install duckdb and chdb (no network?)"
    exit 0
fi

cargo build --quiet --locked --bin pmta-lens --example gen
bin="$target/debug/pmta-lens"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$target/debug/examples/gen" --profile esp --size "$size" --seed 7 -o "$work/acct.csv" 2>/dev/null
# Exit 2 only says malformed rows were skipped (and named): both commands skip the same ones.
"$bin" export --format parquet --host ci-host --out "$work/out" "$work/acct.csv" || [ $? -eq 2 ]
"$bin" summary --format json "$work/acct.csv" >"$work/summary.json" || [ $? -eq 2 ]

python3 - "$work" <<'EOF'
"""Counts per domain, code and VMTA in DuckDB and chDB against the summary's."""
import json
import sys

import chdb
import duckdb

work = sys.argv[1]
parts = f"{work}/out/**/*.parquet"
with open(f"{work}/summary.json") as f:
    s = json.load(f)


def totals(key):
    return {b["key"]: b["total"] for b in s[key]}


want = {
    "type": dict(s["by_type"]),
    "domain": totals("by_domain"),
    "code": totals("by_code"),
    "vmta": totals("by_vmta"),
}
# The summary's keys: `(none)` for an empty field, `(unattributed)` for the VMTA of an `f` row;
# `by_code` counts the rows that have a code.
queries = {
    "type": "SELECT type, count(*) FROM {src} GROUP BY 1",
    "domain": "SELECT coalesce(domain, '(none)'), count(*) FROM {src} GROUP BY 1",
    "code": "SELECT code, count(*) FROM {src} WHERE code IS NOT NULL GROUP BY 1",
    "vmta": "SELECT CASE WHEN type = 'f' THEN '(unattributed)' ELSE coalesce(vmta, '(none)') END,"
    " count(*) FROM {src} GROUP BY 1",
}


def duck(sql):
    con = duckdb.connect()
    src = f"read_parquet('{parts}', hive_partitioning = false)"
    return {k: int(v) for k, v in con.execute(sql.format(src=src)).fetchall()}


def click(sql):
    src = f"file('{parts}', Parquet)"
    out = chdb.query(sql.format(src=src), "JSONCompact")
    return {k: int(v) for k, v in json.loads(out.bytes())["data"]}


failed = False
for engine, run in (("DuckDB", duck), ("chDB", click)):
    for what, sql in queries.items():
        got = run(sql)
        if got != want[what]:
            failed = True
            diff = {k: (got.get(k), want[what].get(k)) for k in set(got) | set(want[what])
                    if got.get(k) != want[what].get(k)}
            print(f"engines-check: {engine} per {what} differs from summary (got, want): "
                  f"{dict(list(diff.items())[:10])}")
        else:
            print(f"engines-check: {engine} per {what}: {len(got)} keys, {sum(got.values())} rows, "
                  "equal to summary")

# The partitions as the engines see them: DuckDB's Hive columns.
con = duckdb.connect()
days = con.execute(
    f"SELECT day, host, count(*) FROM read_parquet('{parts}', hive_partitioning = true) "
    "GROUP BY ALL ORDER BY 1"
).fetchall()
if sum(n for _, _, n in days) != s["records"] or any(str(h) != "ci-host" for _, h, _ in days):
    failed = True
    print(f"engines-check: DuckDB's Hive partitions {days} do not hold the {s['records']} rows")
else:
    print(f"engines-check: DuckDB reads the partitions day= {[str(d) for d, _, _ in days]}")
print("engines-check: " + ("FAILED" if failed else "every count equal to the summary's"))
sys.exit(1 if failed else 0)
EOF
