#!/usr/bin/env bash
# `npm test`: sets up what the tests need (node modules, Docker, registry, Redis, HAProxy, base
# images — the same set-up `npm run up` does — pebble for the HTTPS tests and Debian's chromium
# for the dashboard's browser tests), builds the dashboard, type-checks, refuses import cycles,
# then runs every unit and integration test with node's test runner. `npm test -- FILE…` runs some.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_node_modules
bash "$ROOT/scripts/infra.sh"
# Let's Encrypt's test ACME server (with pebble-challtestsrv) for the HTTPS tests; Debian's
# chromium for the browser tests, driven through playwright-core (never a downloaded browser).
install_missing "test-only Debian packages" pebble chromium
build_ui
cd "$ROOT"
step "Type-checking"
npx tsc -p tsconfig.check.json || fail "tsc found type errors (src, test, bench)"
step "Checking for import cycles"
npx madge --circular --extensions ts --ts-config tsconfig.json src || fail "import cycles"
if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(find test/unit test/integration -name '*.test.ts' | sort)
fi
step "Running ${#files[@]} test files"
# Integration tests share one Docker engine and two cores: two files at a time.
exec npx tsx --test --test-force-exit --test-concurrency=2 --test-timeout=900000 "${files[@]}"
