#!/usr/bin/env bash
# The Parquet export read by the real engines, with the SQL users are given: generates a few MB
# of accounting log (the `esp` profile: hundreds of VMTAs, a long tail of domains, rule codes in
# several written forms), exports it, and runs the SQL blocks of docs/scale-out.md marked
# `<!-- engines-check: NAME -->`, as written there but for the bucket's address (the local
# export instead) and `INSTALL/LOAD httpfs` (left out): the ClickHouse table, load and queries
# in chDB (ClickHouse's engine, embedded), the DuckDB view and queries in DuckDB. Every
# statement must run, and those tagged by_type, by_domain, by_code or by_vmta must count
# exactly what `summary --format json` counts. Both engines are installed with pip when missing; without them (no network) the
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

python3 - "$work" docs/scale-out.md <<'EOF'
"""Runs the marked SQL blocks of docs/scale-out.md in chDB and DuckDB against the summary."""
import json
import re
import sys

import duckdb
from chdb import session as chs

work, doc_path = sys.argv[1], sys.argv[2]
out = f"{work}/out"
with open(f"{work}/summary.json") as f:
    s = json.load(f)
with open(doc_path) as f:
    doc = f.read()

blocks = dict(re.findall(r"<!-- engines-check: ([\w-]+) -->\n```sql\n(.*?)```", doc, re.S))
needed = ("clickhouse-table", "clickhouse-load", "clickhouse-queries", "duckdb")
missing = [n for n in needed if n not in blocks]
if missing:
    print(f"engines-check: FAILED: no block marked {missing} in {doc_path}")
    sys.exit(1)


def statements(sql):
    """(statement, its comments) in order: a comment after a `;` on its line is that statement's."""
    found = []
    for piece in sql.split(";"):
        lines = piece.split("\n")
        if found and lines[0].strip().startswith("--"):
            found[-1][1].append(lines[0])
            lines = lines[1:]
        comments = [l for l in lines if l.strip().startswith("--")]
        code = "\n".join(l for l in lines if not l.strip().startswith("--")).strip()
        if code:
            found.append((code, comments))
    return found


def totals(key):
    return {b["key"]: b["total"] for b in s[key]}


want = {
    "by_type": dict(s["by_type"]),
    "by_domain": totals("by_domain"),
    "by_code": totals("by_code"),
    "by_vmta": totals("by_vmta"),
}
failed = False


def check(engine, sql, comments, names, rows):
    """Compares a tagged statement's counts (the first column but `host` is the key, `total`
    or the last column the count) with the summary's."""
    global failed
    tags = [t for t in want if any(re.search(rf"\b{t}\b", c) for c in comments)]
    if not tags:
        return
    tag = tags[0]
    key = next(i for i, n in enumerate(names) if n != "host")
    val = names.index("total") if "total" in names else len(names) - 1
    got = {}
    for r in rows:
        k = "(none)" if r[key] in (None, "") else str(r[key])
        got[k] = got.get(k, 0) + int(r[val])
    w = want[tag]
    limited = "LIMIT" in sql.upper() and len(got) < len(w)
    ok = all(w.get(k) == v for k, v in got.items()) and (limited or len(got) == len(w))
    if ok:
        print(f"engines-check: {engine} {tag}: {len(got)} keys, {sum(got.values())} rows, "
              "equal to summary")
    else:
        failed = True
        diff = {k: (got.get(k), w.get(k)) for k in set(got) | set(w) if got.get(k) != w.get(k)}
        print(f"engines-check: {engine} {tag} differs from summary (got, want): "
              f"{dict(list(diff.items())[:10])}")


def run_all(engine, block, execute):
    global failed
    for sql, comments in statements(block):
        try:
            names, rows = execute(sql)
        except Exception as e:  # any engine error fails the check
            failed = True
            print(f"engines-check: {engine} failed on:\n{sql}\n  {e}")
            continue
        check(engine, sql, comments, names, rows)


# ClickHouse: the table, the load (from the local parts instead of the bucket), the queries.
sess = chs.Session(f"{work}/chdb")


def click(sql):
    res = sess.query(sql, "JSONCompact")
    text = res.bytes() if hasattr(res, "bytes") else str(res).encode()
    if not text.strip():
        return [], []
    j = json.loads(text)
    return [m["name"] for m in j.get("meta", [])], j.get("data", [])


load = re.sub(r"s3\('https://[^']*/pmta/day=[^/]*/", f"file('{out}/day=*/", blocks["clickhouse-load"])
for block in (blocks["clickhouse-table"], load, blocks["clickhouse-queries"]):
    run_all("chDB", block, click)
n = click("SELECT count() FROM pmta.rows")[1]
if not n or int(n[0][0]) != s["records"]:
    failed = True
    print(f"engines-check: chDB loaded {n} rows, the summary has {s['records']}")
else:
    print(f"engines-check: chDB loaded the {s['records']} rows into pmta.rows")

# DuckDB: the view over the local parts (no httpfs needed), then the queries.
con = duckdb.connect()


def duck(sql):
    cur = con.execute(sql)
    names = [d[0] for d in cur.description] if cur.description else []
    return names, (cur.fetchall() if names else [])


block = blocks["duckdb"].replace("s3://mail-analytics/pmta/", f"{out}/")
block = re.sub(r"(?m)^\s*INSTALL httpfs;\s*LOAD httpfs;\s*$", "", block)
run_all("DuckDB", block, duck)

# The partitions as the engines see them: DuckDB's Hive columns.
days = con.execute(
    f"SELECT day, host, count(*) FROM read_parquet('{out}/**/*.parquet', hive_partitioning = true) "
    "GROUP BY ALL ORDER BY 1"
).fetchall()
if sum(n for _, _, n in days) != s["records"] or any(str(h) != "ci-host" for _, h, _ in days):
    failed = True
    print(f"engines-check: DuckDB's Hive partitions {days} do not hold the {s['records']} rows")
else:
    print(f"engines-check: DuckDB reads the partitions day= {[str(d) for d, _, _ in days]}")
print("engines-check: " + ("FAILED" if failed else
                           "every statement ran, every count equal to the summary's"))
sys.exit(1 if failed else 0)
EOF
