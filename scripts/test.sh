#!/usr/bin/env bash
# `npm test`: lint, then every Vitest project, with the type-check running beside them (it is the
# slowest single step before the tests and needs none of their output). Fails if any of them fails.
set -uo pipefail
cd "$(dirname "$0")/.."
typecheck_log="$(mktemp)"
trap 'rm -f "$typecheck_log"' EXIT
# Incremental: the type information of the last check is kept in node_modules/.cache, so a check after a
# small change re-checks what it affects (18 CPU-s -> ~4 here); a clean clone checks everything.
npx tsc --noEmit -p tsconfig.json --incremental --tsBuildInfoFile node_modules/.cache/tsc/check.tsbuildinfo >"$typecheck_log" 2>&1 &
typecheck=$!
npx biome check . && npx vitest run "$@"
tests=$?
wait "$typecheck"
types=$?
if [ "$types" -ne 0 ]; then
  echo "typecheck failed:" >&2
  cat "$typecheck_log" >&2
fi
[ "$tests" -eq 0 ] && [ "$types" -eq 0 ]
