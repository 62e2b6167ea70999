#!/usr/bin/env bash
# `npm test`: lint, then every Vitest project, with the type-check running beside them (it is the
# slowest single step before the tests and needs none of their output). Fails if any of them fails.
set -uo pipefail
cd "$(dirname "$0")/.."
typecheck_log="$(mktemp)"
trap 'rm -f "$typecheck_log"' EXIT
npx tsc --noEmit -p tsconfig.json >"$typecheck_log" 2>&1 &
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
