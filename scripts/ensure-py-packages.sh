#!/usr/bin/env bash
# Makes sure public/py-packages (the offline sympy/mpmath for Pyodide) exists, building it when missing.
# npm runs this on install, before start/build and before the tests. Without --strict a failed build
# only warns (Python then runs without sympy); with --strict (the tests) it fails.
cd "$(dirname "$0")/.."
test -f public/py-packages/manifest.json && exit 0
if [ "${1:-}" = "--strict" ]; then exec scripts/build-py-packages.sh; fi
# An installed package ships the folder ready-made; without the build script there is nothing to do.
test -x scripts/build-py-packages.sh || exit 0
echo "pocket-agent: building the offline sympy/mpmath packages for Python (once)" >&2
scripts/build-py-packages.sh || echo "pocket-agent: the offline sympy/mpmath packages could not be built (scripts/build-py-packages.sh needs Debian's apt-get and dpkg-deb); Python runs without them" >&2
exit 0
