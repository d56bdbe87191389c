#!/usr/bin/env bash
# Fuzz the live API from its own OpenAPI document: generated requests for every operation, as a business
# manager and as a process owner, against a fresh SQLite database with the demo data. Any 5xx fails the run.
# Bounded: a few examples per operation and a hard time limit. Usage: bash .ci/fuzz/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
here=$(pwd)
repo=$(cd ../.. && pwd)
PYTHON=${PYTHON:-python3}

want=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
have=$([ -x .venv/bin/python ] && .venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' || echo none)
[ "$want" = "$have" ] || { rm -rf .venv; "$PYTHON" -m venv .venv; }
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt

work=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export LIF_DATABASE_URL="sqlite:///$work/fuzz.db" LIF_EVIDENCE_DIR="$work/evidence" LIF_LOG_LEVEL=WARNING
# The fuzzer sends wrong tokens on purpose; with the sign-in limiter at its default, all later requests from this
# address would get 429 and go untested. The limiter has its own tests (tests/integration/test_sign_in_abuse.py).
export LIF_AUTH_FAILURE_LIMIT=1000000
"$repo/.venv/bin/lif" demo --tokens-out "$work/tokens.json" >/dev/null
port=$("$repo/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$repo/.venv/bin/lif" serve --port "$port" --no-worker --no-migrate >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.2
done
token() { "$repo/.venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/tokens.json" "$1"; }

fuzz() {  # fuzz ROLE [schemathesis options...]
  local role=$1; shift
  echo "fuzzing as $role"
  timeout 600 "$here/.venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
    --header "Authorization: Bearer $(token "$role")" --checks not_a_server_error \
    --max-examples 10 --workers 1 --seed 20261201 --no-color "$@" \
    || { echo "FAIL: the fuzzer found server errors (as $role); server log:"; tail -50 "$work/server.log"; exit 1; }
}
fuzz business_manager
fuzz process_owner --include-path-regex '/process-definitions'
