#!/usr/bin/env bash
# Checks the release as an operator would meet it (run by .ci/run): builds the packages with
# scripts/release.sh, installs the .deb (`dpkg -i`, when root), runs the installed pmta-lens on
# the sample logs (as root and as `nobody`), reads the man page through `man -l`, inspects the
# .rpm (`rpm -qpl`, `rpm -qp --requires`) and the .tar.gz, and fails if anything needs a glibc
# newer than 2.17.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
GLIBC=2.17

as_root=false
[ "$(id -u)" = 0 ] && as_root=true

apt_install() {
    if $as_root && command -v apt-get >/dev/null 2>&1; then
        (apt-get update -qq && apt-get install -y -qq "$@" >/dev/null) </dev/null
    else
        echo "package-check.sh: needs $* (not root, or no apt-get)" >&2
        return 1
    fi
}
command -v rpmbuild >/dev/null 2>&1 || apt_install rpm
command -v man >/dev/null 2>&1 || apt_install man-db
command -v objdump >/dev/null 2>&1 || apt_install binutils

bash scripts/release.sh

fail() {
    echo "package-check.sh: $*" >&2
    exit 1
}
# "no version in the list newer than 2.17": the highest of them and 2.17 sorted, 2.17 last.
glibc_ok() {
    local newest
    newest=$(grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
    [ -z "$newest" ] || [ "$(printf '%s\n%s\n' "$newest" "$GLIBC" | sort -V | tail -1)" = "$GLIBC" ]
}

deb=$(ls dist/pmta-lens_*.deb)
rpm=$(ls dist/pmta-lens-*.rpm)
tarball=$(ls dist/pmta-lens-*.tar.gz)

echo "== the .deb: $deb"
dpkg-deb --info "$deb" | grep -E '^ (Package|Version|Architecture|Depends):'
dpkg-deb --field "$deb" Depends | grep -qF "libc6 (>= $GLIBC)" || fail "the .deb does not depend on libc6 (>= $GLIBC)"
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/pmta-lens ./usr/share/man/man1/pmta-lens.1.gz \
    ./usr/share/bash-completion/completions/pmta-lens ./usr/share/zsh/vendor-completions/_pmta-lens \
    ./usr/share/fish/vendor_completions.d/pmta-lens.fish ./usr/share/doc/pmta-lens/README.md \
    ./usr/share/doc/pmta-lens/copyright ./usr/share/doc/pmta-lens/docs/format.md; do
    grep -qF " $f" <<<"$contents" || fail "the .deb has no $f"
done

echo "== the .rpm: $rpm"
rpm -qp --queryformat '%{NAME} %{VERSION}-%{RELEASE} %{ARCH}\n' "$rpm" 2>/dev/null
files=$(rpm -qpl "$rpm" 2>/dev/null)
for f in /usr/bin/pmta-lens /usr/share/man/man1/pmta-lens.1.gz \
    /usr/share/bash-completion/completions/pmta-lens /usr/share/zsh/site-functions/_pmta-lens \
    /usr/share/fish/vendor_completions.d/pmta-lens.fish /usr/share/doc/pmta-lens/README.md \
    /usr/share/doc/pmta-lens/docs/format.md; do
    grep -qxF "$f" <<<"$files" || fail "the .rpm has no $f"
done
requires=$(rpm -qp --requires "$rpm" 2>/dev/null)
echo "$requires"
grep -qE '^glibc >= 2\.17$' <<<"$requires" || fail "the .rpm does not require glibc >= $GLIBC"
glibc_ok <<<"$requires" || fail "the .rpm requires a glibc newer than $GLIBC"

echo "== the tarball: $tarball"
unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
tar -xzf "$tarball" -C "$unpacked"
top="$unpacked/$(basename "$tarball" .tar.gz)"
for f in pmta-lens man/pmta-lens.1.gz completions/pmta-lens.bash completions/_pmta-lens \
    completions/pmta-lens.fish README.md docs/format.md; do
    [ -f "$top/$f" ] || fail "the tarball has no $f"
done
objdump -T "$top/pmta-lens" | glibc_ok || fail "the tarball's binary needs a glibc newer than $GLIBC"
"$top/pmta-lens" --version

if ! $as_root; then
    echo "== not root: the .deb is not installed (dpkg -i needs root); skipped"
    echo "package-check.sh: passed (packages built and inspected) in $((SECONDS - started)) s"
    exit 0
fi

echo "== dpkg -i"
dpkg -i "$deb" >/dev/null
trap 'rm -rf "$unpacked"; dpkg -r pmta-lens >/dev/null 2>&1 || true' EXIT
installed=$(command -v pmta-lens)
[ "$installed" = /usr/bin/pmta-lens ] || fail "pmta-lens is $installed, not /usr/bin/pmta-lens"
objdump -T /usr/bin/pmta-lens | glibc_ok || fail "the installed binary needs a glibc newer than $GLIBC"
pmta-lens --version

# The sample logs where any user can read them (the checkout may be under a private home).
samples="$unpacked/samples"
cp -r sample-logs "$samples"
chmod -R a+rX "$unpacked"

echo "== the installed pmta-lens summary and check-config on sample-logs"
pmta-lens summary "$samples" | head -5
pmta-lens summary --format json "$samples" | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["records"] > 0, s["records"]'
status=0
pmta-lens check-config --config "$samples/pmta-config" "$samples" >/dev/null || status=$?
[ "$status" -le 1 ] || fail "check-config exited $status"

echo "== as nobody (setpriv)"
nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
nobody pmta-lens summary "$samples" >/dev/null
status=0
nobody pmta-lens check-config --config "$samples/pmta-config" "$samples" >/dev/null || status=$?
[ "$status" -le 1 ] || fail "check-config as nobody exited $status"
# An accounting file only the adm group may read: the message names the group.
locked="$unpacked/locked"
mkdir "$locked"
cp sample-logs/acct-2026-11-20-0000.csv "$locked/"
chgrp -R adm "$locked"
chmod 0750 "$locked"
chmod 0640 "$locked/acct-2026-11-20-0000.csv"
status=0
message=$(nobody pmta-lens summary "$locked/acct-2026-11-20-0000.csv" 2>&1 >/dev/null) || status=$?
echo "$message"
[ "$status" = 2 ] || fail "an unreadable input exited $status, not 2"
grep -qF "the group adm can read its directory $locked" <<<"$message" \
    || fail "the permission message does not name the group adm"
# The same for a PowerMTA config in that directory.
cp sample-logs/pmta-config "$locked/"
status=0
message=$(nobody pmta-lens check-config --config "$locked/pmta-config" 2>&1 >/dev/null) || status=$?
echo "$message"
[ "$status" = 2 ] || fail "an unreadable config exited $status, not 2"
grep -qF "the group adm can read its directory $locked" <<<"$message" \
    || fail "the config's permission message does not name the group adm"

echo "== man -l"
page=$(MANWIDTH=100 man -l /usr/share/man/man1/pmta-lens.1.gz 2>/dev/null)
for section in NAME SYNOPSIS OPTIONS COMMANDS "WHERE EXPRESSIONS" "EXIT STATUS" FILES ENVIRONMENT; do
    grep -q "^$section" <<<"$page" || fail "the man page has no $section section"
done
echo "man page: $(wc -l <<<"$page") lines"

echo "== dpkg -r"
dpkg -r pmta-lens >/dev/null
[ ! -e /usr/bin/pmta-lens ] || fail "dpkg -r left /usr/bin/pmta-lens"
echo "package-check.sh: passed in $((SECONDS - started)) s"
