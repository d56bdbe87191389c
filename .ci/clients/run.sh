#!/usr/bin/env bash
# Generated clients against the live API, as front-end teams build them: a real `lif serve` on a fresh SQLite
# database with the demo data; its /openapi.json linted by redocly (recommended rules: errors fail), turned into
# TypeScript types (openapi-typescript) for a small openapi-fetch scenario that must compile under tsc --strict and
# run, and into a Python client (openapi-python-client) that must generate with no warning and run the same
# scenario. Tools pinned in package-lock.json and requirements.txt. Usage: bash .ci/clients/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
here=$(pwd)
repo=$(cd ../.. && pwd)
PYTHON=${PYTHON:-python3}
started=$SECONDS
step() { printf -- '--> %s (%ds)\n' "$*" "$((SECONDS - started))"; }

# Exactly the versions in package-lock.json: (re)install whenever the lockfile differs from the one installed.
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.package-lock.sha256 2>/dev/null)" != "$lock_sum" ]; then
  npm ci --no-audit --no-fund --silent
  echo "$lock_sum" > node_modules/.package-lock.sha256
fi

source "$repo/.ci/demo-server.sh"
own_venv

work=$(mktemp -d)
trap stop_demo_server EXIT
step "server with the demo data"
start_demo_server clients
token=$(demo_token business_manager)
# Indented, so that the line numbers redocly reports point somewhere readable.
curl -sf "$base/openapi.json" | "$repo/.venv/bin/python" -m json.tool >"$work/openapi.json"
failed() { echo "FAIL: $1; server log:"; tail -30 "$work/server.log"; exit 1; }

step "redocly lint (recommended)"
# Errors fail the run; warnings are listed and counted (the summary line says how many).
node_modules/.bin/redocly lint "$work/openapi.json" --config redocly.yaml --format stylish 2>&1 \
  | grep -v -e 'Node.js 20' -e '^\s*║' -e '^\s*╔' -e '^\s*╚' | tee "$work/redocly.log" || failed "redocly lint found errors"

step "TypeScript: openapi-typescript, tsc --strict, the scenario"
node_modules/.bin/openapi-typescript "$work/openapi.json" -o ts/schema.d.ts --silent
rm -rf build/ts
node_modules/.bin/tsc -p tsconfig.json --strict --noEmitOnError || failed "tsc --strict rejected the scenario"
echo "tsc --strict: 0 errors"
node build/ts/scenario.js "$base" "$token" || failed "the TypeScript scenario"

step "Python: openapi-python-client (no warning allowed), mypy --strict, the scenario"
# Generated into a stable place (build/, ignored by git), so that mypy's cache stays warm between runs.
.venv/bin/openapi-python-client generate --path "$work/openapi.json" --output-path build/python/lif_client \
  --meta none --config openapi-python-client.yaml --overwrite --fail-on-warning >"$work/generate.log" 2>&1 \
  || { cat "$work/generate.log"; failed "openapi-python-client failed or warned"; }
if grep -qi 'warning' "$work/generate.log"; then cat "$work/generate.log"; failed "openapi-python-client warned"; fi
echo "openapi-python-client: 0 warnings"
MYPYPATH=build/python "$repo/.venv/bin/mypy" --strict --python-executable .venv/bin/python --cache-dir build/mypy \
  scenario.py || failed "mypy --strict rejected the Python scenario"
PYTHONPATH=build/python .venv/bin/python scenario.py "$base" "$token" || failed "the Python scenario"
step "generated clients: all checks passed"
