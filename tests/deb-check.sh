#!/usr/bin/env bash
# Checks a .deb built by `make deb` (which runs this on every build): the three programs, the
# desktop entry, the icons and the Depends line are there, every shared library the binaries
# link is covered by Depends, and the packaged `vault` runs.
# Usage: tests/deb-check.sh PATH/TO/vault_VERSION_ARCH.deb
set -euo pipefail

deb=${1:?usage: $0 PACKAGE.deb}
fail() { echo "deb check: $*" >&2; exit 1; }

contents=$(dpkg-deb -c "$deb") || fail "dpkg-deb cannot read $deb"
# Lines look like `-rwxr-xr-x 0/0 123 2025-01-01 00:00 usr/bin/vault` (Tauri's bundler writes
# no leading `./`; dpkg-deb's own archives have one).
has() { awk -v f="$1" '{ sub(/^\.\//, "", $NF) } $NF == f { found = 1 } END { exit !found }' <<<"$contents"; }
executable() {
  awk -v f="$1" '{ sub(/^\.\//, "", $NF) } $NF == f && $1 ~ /^-..x/ { found = 1 } END { exit !found }' \
    <<<"$contents"
}

executable usr/bin/vault || fail "no executable usr/bin/vault"
executable usr/lib/vault/vault-full || fail "no executable usr/lib/vault/vault-full"
executable usr/bin/vault-desktop || fail "no executable usr/bin/vault-desktop"
has usr/share/applications/Vault.desktop || fail "no desktop entry usr/share/applications/Vault.desktop"
# The PNGs of bundle.icon, one per size (128x128@2x.png is the 256x256@2 one).
for size in 32x32 64x64 128x128 256x256@2 512x512; do
  has "usr/share/icons/hicolor/$size/apps/vault-desktop.png" || fail "no $size icon"
done

[ "$(dpkg-deb -f "$deb" Package)" = vault ] || fail "package name is not vault"
depends=$(dpkg-deb -f "$deb" Depends)
# One package name a line, versions and alternatives dropped.
names() { sed -e 's/^shlibs:Depends=//' -e 's/ *([^)]*)//g' -e 's/ *[,|] */\n/g' <<<"$1"; }
depends_on() { names "$depends" | grep -qxF "$1"; }
# The tray library is loaded at run time (dlopen), so only the Depends line names it. Tauri's CLI
# adds it only when it sees the tray-icon feature, which it does not through workspace
# inheritance: tauri.conf.json names it.
for dep in libwebkit2gtk-4.1-0 libgtk-3-0 libayatana-appindicator3-1; do
  depends_on "$dep" || fail "Depends lacks $dep: $depends"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/root"

# What the binaries link, as Debian packages (dpkg-shlibdeps, from dpkg-dev: build-essential).
# Compared by name without Ubuntu's `t64` suffix: those packages provide the old names.
mkdir -p "$tmp/shlibs/debian"
printf 'Source: vault\n\nPackage: vault\nArchitecture: any\n' >"$tmp/shlibs/debian/control"
shlibs=$(cd "$tmp/shlibs" && dpkg-shlibdeps -O "$tmp/root/usr/bin/vault" \
  "$tmp/root/usr/lib/vault/vault-full" "$tmp/root/usr/bin/vault-desktop" 2>"$tmp/shlibdeps.log") ||
  { cat "$tmp/shlibdeps.log" >&2; fail "dpkg-shlibdeps failed"; }
for lib in $(names "$shlibs"); do
  depends_on "${lib%t64}" || fail "the binaries link $lib, which Depends does not name: $depends"
done

desktop="$tmp/root/usr/share/applications/Vault.desktop"
grep -qx 'Exec=vault-desktop' "$desktop" || fail "the desktop entry does not run vault-desktop"
grep -qx 'Icon=vault-desktop' "$desktop" || fail "the desktop entry has no vault-desktop icon"
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$desktop" || fail "desktop-file-validate rejects the desktop entry"
fi
# The front is a static program (make dist): no dynamic loader, no shared library.
if readelf -l "$tmp/root/usr/bin/vault" | grep -q 'INTERP' ||
  readelf -d "$tmp/root/usr/bin/vault" | grep -q '(NEEDED)'; then
  fail "usr/bin/vault is dynamically linked; it is installed static (make dist)"
fi
# `vault --version` is answered by vault-full, which the front finds in ../lib/vault.
vault=$tmp/root/usr/bin/vault
version=$("$vault" --version) || fail "the packaged vault does not run"
# The packaged pair at work, in a home of its own: a vault made by vault-full, its agent, then
# `get` and `run` as the front answers them.
mkdir -p "$tmp/home/run" && chmod 700 "$tmp/home" "$tmp/home/run"
(
  export HOME=$tmp/home XDG_RUNTIME_DIR=$tmp/home/run VAULT_PATH=$tmp/home/vault.db
  trap '"$vault" agent --stop >/dev/null 2>&1 || true' EXIT
  cd "$HOME"
  printf 'deb check password\n' >pw
  printf 'DEB_CHECK=packaged-value\n' >.env
  "$vault" --password-file pw init --kdf minimum >/dev/null 2>&1 || fail "vault init failed"
  "$vault" import .env >/dev/null 2>&1 || fail "vault import failed"
  [ "$("$vault" get DEB_CHECK)" = packaged-value ] || fail "vault get does not give the stored value"
  "$vault" run --no-mask --item DEB_CHECK -- sh -c 'test "$DEB_CHECK" = packaged-value' ||
    fail "vault run does not give the command the stored value"
)

echo "deb check: $deb ($(du -h "$deb" | cut -f1)) ok: $version; Depends: $depends"
