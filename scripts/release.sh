#!/usr/bin/env bash
# The portable release in one step: pmta-lens for x86_64 Linux against glibc 2.17 (RHEL/CentOS 7
# and everything newer, Debian and Ubuntu alike), built with cargo-zigbuild, checked (no symbol
# newer than GLIBC_2.17, `--version` runs), then dist/ holds the .tar.gz, the .deb and the .rpm
# with the binary, the man page, the completions and the docs (scripts/package.py).
#
# Needs python3 with pip (cargo-zigbuild and ziglang come from PyPI when missing), dpkg-deb,
# rpmbuild (Debian: `apt install rpm`), objdump and strip (binutils).
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=x86_64-unknown-linux-gnu
GLIBC=2.17
target_dir=${CARGO_TARGET_DIR:-target}

if ! command -v cargo-zigbuild >/dev/null 2>&1 || ! python3 -m ziglang version >/dev/null 2>&1; then
    echo "== pip install cargo-zigbuild ziglang"
    python3 -m pip install --quiet --disable-pip-version-check cargo-zigbuild ziglang </dev/null
    # pip puts the cargo-zigbuild binary in the interpreter's scripts directory, which need not
    # be on PATH (a virtualenv, --user).
    PATH="$PATH:$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
    export PATH
fi
for tool in dpkg-deb rpmbuild objdump strip; do
    command -v "$tool" >/dev/null 2>&1 || { echo "release.sh: $tool is needed" >&2; exit 1; }
done

echo "== cargo zigbuild --release --target $TARGET.$GLIBC"
cargo zigbuild --release --locked --target "$TARGET.$GLIBC" -p pmta-lens
built="$target_dir/$TARGET/release/pmta-lens"

rm -rf dist
mkdir -p dist/generated
bin=dist/generated/pmta-lens
# The packages ship the binary without its debug info (the release profile keeps line tables
# for profiling: several times the size).
strip --strip-debug -o "$bin" "$built"

echo "== glibc: no symbol newer than GLIBC_$GLIBC"
newest=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
if [ "$(printf '%s\n%s\n' "$newest" "$GLIBC" | sort -V | tail -1)" != "$GLIBC" ]; then
    echo "release.sh: $bin needs GLIBC_$newest, newer than $GLIBC:" >&2
    objdump -T "$bin" | grep -F "GLIBC_$newest" >&2
    exit 1
fi
echo "newest glibc symbol version: GLIBC_$newest"

echo "== --version"
"$bin" --version

# The man page and completions, from the binary's own argument definitions.
"$bin" --generate man | gzip -9n > dist/generated/pmta-lens.1.gz
"$bin" --generate complete-bash > dist/generated/pmta-lens.bash
"$bin" --generate complete-zsh > dist/generated/_pmta-lens
"$bin" --generate complete-fish > dist/generated/pmta-lens.fish

echo "== packages"
python3 scripts/package.py "$bin"
ls -l dist/*.tar.gz dist/*.deb dist/*.rpm
