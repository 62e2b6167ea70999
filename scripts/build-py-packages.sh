#!/usr/bin/env bash
# Builds the offline Pyodide package folder public/py-packages/ (gitignored) from Debian's pure-Python
# sympy and mpmath: `apt-get download` (no root needed), `dpkg-deb -x`, then one zip per package whose
# top level is the package folder (tests left out), byte-compiled by Pyodide's own Python
# (scripts/build-py-packages.ts), plus manifest.json for the executor.
# Usage: scripts/build-py-packages.sh [OUT_DIR]   (default: public/py-packages)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-public/py-packages}"
PACKAGES=(sympy mpmath)
declare -A REQUIRES=([sympy]="mpmath" [mpmath]="")

for tool in apt-get dpkg-deb python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "build-py-packages: '$tool' is required" >&2; exit 2; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work" # apt's sandbox user must be able to write the downloads

debs=()
for pkg in "${PACKAGES[@]}"; do debs+=("python3-$pkg"); done
if ! (cd "$work" && apt-get download "${debs[@]}" >/dev/null 2>"$work/apt.log"); then
  echo "build-py-packages: apt-get download failed (try 'apt-get update' first):" >&2
  cat "$work/apt.log" >&2
  exit 1
fi

mkdir -p "$OUT" "$work/root"
manifest="{\"packages\": {"
sep=""
for pkg in "${PACKAGES[@]}"; do
  deb="$(ls "$work"/python3-"${pkg}"_*.deb)"
  dpkg-deb -x "$deb" "$work/root"
  version="$(dpkg-deb -f "$deb" Version)"
  src="$work/root/usr/lib/python3/dist-packages"
  [ -d "$src/$pkg" ] || { echo "build-py-packages: $deb has no $pkg package folder" >&2; exit 1; }
  python3 - "$src" "$pkg" "$OUT/$pkg.zip" <<'PY'
import os, sys, zipfile
src, pkg, out = sys.argv[1:]
with zipfile.ZipFile(out + ".partial", "w", zipfile.ZIP_DEFLATED) as z:
    for root, dirs, files in os.walk(os.path.join(src, pkg)):
        dirs[:] = sorted(d for d in dirs if d not in ("tests", "__pycache__"))
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(root, name)
            z.write(path, os.path.relpath(path, src))
os.replace(out + ".partial", out)
PY
  requires=""
  for dep in ${REQUIRES[$pkg]}; do requires+="${requires:+, }\"$dep\""; done
  manifest+="$sep\"$pkg\": {\"file\": \"$pkg.zip\", \"version\": \"$version\", \"requires\": [$requires]}"
  sep=", "
  echo "build-py-packages: $OUT/$pkg.zip ($pkg $version, $(du -k "$OUT/$pkg.zip" | cut -f1) KiB)"
done
manifest+="}}"
echo "$manifest" > "$OUT/manifest.json"
# Byte-compile with Pyodide's Python: importing sympy then takes ~2 s instead of ~12 s.
node bin/run-ts.js scripts/build-py-packages.ts "$OUT"
echo "build-py-packages: $OUT/manifest.json"
