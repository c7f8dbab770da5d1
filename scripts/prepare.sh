#!/usr/bin/env bash
# Run before `npm test`, `npm run demo`, `npm run bench`: makes sure dependencies, server
# binaries and the build are in place. Idempotent; fast when nothing is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib/server-packages.sh

# 1. node_modules
if [[ ! -d node_modules ]] || { [[ -f package-lock.json ]] && [[ package-lock.json -nt node_modules ]]; }; then
  if [[ -f package-lock.json ]]; then echo "prepare: npm ci"; npm ci --no-audit --no-fund >/dev/null
  else echo "prepare: npm install"; npm install --no-audit --no-fund >/dev/null; fi
  touch node_modules
else
  echo "prepare: node_modules up to date"
fi

# 2. server binaries (ZooKeeper, Redis, PostgreSQL): only when tests start local servers. With
#    ZKOC_STACK_PROVIDER=external or containers the servers come from elsewhere, and installing
#    Debian packages there would be wrong (and fail without root). The demo and bench always
#    start local servers, so they pass ZKOC_PREPARE_SERVERS=always.
case "${ZKOC_PREPARE_SERVERS:-auto}:${ZKOC_STACK_PROVIDER:-local}" in
  always:* | auto:local | auto:) ensure_server_packages prepare ;;
  *) echo "prepare: ZKOC_STACK_PROVIDER=${ZKOC_STACK_PROVIDER}: server packages not checked" ;;
esac

# 3. build (library + tools) and typecheck (tests included), skipped when nothing changed since the
#    last good build. A type error fails the run: tsc would still emit, and tests that run the built
#    code would then test something that does not compile.
stamp=.zkoc/build.stamp
if [[ -f "$stamp" && -d dist && -d .build ]] && [[ -z $(find src bench scripts test tsconfig*.json package.json -newer "$stamp" \( -name '*.ts' -o -name '*.mjs' -o -name '*.json' \) -print -quit 2>/dev/null) ]]; then
  echo "prepare: build up to date"
else
  mkdir -p .zkoc
  rm -f "$stamp"
  echo "prepare: npm run build"
  npm run --silent build || { echo "prepare: the library does not compile (see above)" >&2; exit 1; }
  echo "prepare: tsc -p tsconfig.tools.json (bench, scripts)"
  npx tsc -p tsconfig.tools.json || { echo "prepare: bench/scripts do not compile (see above)" >&2; exit 1; }
  echo "prepare: typecheck (tests included)"
  npx tsc -p tsconfig.json --noEmit || { echo "prepare: type errors (see above)" >&2; exit 1; }
  touch "$stamp"
fi

# 4. format + lint (Biome): a lint error fails the run, like a type error.
echo "prepare: lint"
npx biome check --error-on-warnings --reporter=summary . >/dev/null 2>.zkoc/lint.log || {
  npx biome check --error-on-warnings . >&2 || true
  echo "prepare: lint errors (see above; npm run format fixes formatting)" >&2; exit 1; }
