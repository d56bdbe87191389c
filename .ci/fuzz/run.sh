#!/usr/bin/env bash
# Fuzz the live API from its own OpenAPI document: generated requests for every operation, as a business
# manager and as a process owner, against a fresh SQLite database with the demo data. Any 5xx fails the run.
# Bounded: a few examples per operation and a hard time limit. Usage: bash .ci/fuzz/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
here=$(pwd)
repo=$(cd ../.. && pwd)
PYTHON=${PYTHON:-python3}

source "$repo/.ci/demo-server.sh"
own_venv

work=$(mktemp -d)
trap stop_demo_server EXIT
# The fuzzer sends wrong tokens on purpose; with the sign-in limiter at its default, all later requests from this
# address would get 429 and go untested. The limiter has its own tests (tests/integration/test_sign_in_abuse.py).
export LIF_AUTH_FAILURE_LIMIT=1000000
start_demo_server fuzz

fuzz() {  # fuzz ROLE [schemathesis options...]
  local role=$1; shift
  echo "fuzzing as $role"
  timeout 600 "$here/.venv/bin/schemathesis" run "$base/openapi.json" \
    --header "Authorization: Bearer $(demo_token "$role")" --checks not_a_server_error \
    --max-examples 10 --workers 1 --seed 20261201 --no-color "$@" \
    || { echo "FAIL: the fuzzer found server errors (as $role); server log:"; tail -50 "$work/server.log"; exit 1; }
}
fuzz business_manager
fuzz process_owner --include-path-regex '/process-definitions'
