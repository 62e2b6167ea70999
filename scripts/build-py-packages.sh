#!/usr/bin/env bash
# Builds the offline Pyodide package folder public/py-packages/ (gitignored) from Debian's pure-Python
# sympy and mpmath: `apt-get download` (no root needed; as root it runs `apt-get update` once if the
# package lists are missing), `dpkg-deb -x`, then scripts/build-py-packages.ts zips each package
# byte-compiled by Pyodide's own Python and writes manifest.json. Needs apt-get, dpkg-deb and node.
# Usage: scripts/build-py-packages.sh [OUT_DIR]   (default: public/py-packages)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-public/py-packages}"
# name -> packages to load first
declare -A REQUIRES=([sympy]="mpmath" [mpmath]="")
PACKAGES=(sympy mpmath)

for tool in apt-get dpkg-deb node; do
  command -v "$tool" >/dev/null 2>&1 || { echo "build-py-packages: '$tool' is required" >&2; exit 2; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work" # apt's sandbox user must be able to write the downloads

debs=()
for pkg in "${PACKAGES[@]}"; do debs+=("python3-$pkg"); done
download() { (cd "$work" && apt-get download "${debs[@]}" >/dev/null 2>"$work/apt.log"); }
if ! download; then
  if [ "$(id -u)" = "0" ]; then apt-get update -qq >/dev/null 2>&1 || true; fi
  if ! download; then
    echo "build-py-packages: apt-get download ${debs[*]} failed (run 'apt-get update' first?):" >&2
    cat "$work/apt.log" >&2
    exit 1
  fi
fi

specs=()
for pkg in "${PACKAGES[@]}"; do
  deb="$(ls "$work"/python3-"${pkg}"_*.deb)"
  dpkg-deb -x "$deb" "$work/root"
  [ -d "$work/root/usr/lib/python3/dist-packages/$pkg" ] || { echo "build-py-packages: $deb has no $pkg folder" >&2; exit 1; }
  deps="${REQUIRES[$pkg]}"
  specs+=("$pkg=$(dpkg-deb -f "$deb" Version):${deps// /,}")
done

node bin/run-ts.js scripts/build-py-packages.ts "$work/root/usr/lib/python3/dist-packages" "$OUT" "${specs[@]}"
