# Sourced by the checks that run against a live service (.ci/fuzz, .ci/clients). Each caller sets `repo` (the
# repository root) and `work` (a temporary folder it removes), and traps EXIT to call `stop_demo_server`.

# A virtualenv of the check's own beside its script, rebuilt when the Python version changes; the requirements
# are installed again only when requirements.txt changes.
own_venv() {
  local want have sum
  want=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  have=$([ -x .venv/bin/python ] && .venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' || echo none)
  [ "$want" = "$have" ] || { rm -rf .venv; "$PYTHON" -m venv .venv; }
  sum=$(sha256sum requirements.txt | cut -d' ' -f1)
  if [ "$(cat .venv/.requirements.sha256 2>/dev/null)" != "$sum" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
    echo "$sum" > .venv/.requirements.sha256
  fi
}

# `lif serve` on a free port over a fresh SQLite database (named $1) with the demo data; sets `port`, `base` and
# `server_pid`, writes the demo tokens to $work/tokens.json, and waits up to 30 s for readiness.
server_pid=""
start_demo_server() {
  export LIF_DATABASE_URL="sqlite:///$work/$1.db" LIF_EVIDENCE_DIR="$work/evidence" LIF_LOG_LEVEL=WARNING
  "$repo/.venv/bin/lif" demo --tokens-out "$work/tokens.json" >/dev/null
  port=$("$repo/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$repo/.venv/bin/lif" serve --port "$port" --no-worker --no-migrate >"$work/server.log" 2>&1 &
  server_pid=$!
  base="http://127.0.0.1:$port"
  for _ in $(seq 150); do
    curl -sf "$base/health/ready" >/dev/null 2>&1 && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; return 1; }
    sleep 0.2
  done
  echo "lif serve did not become ready in 30 s"; cat "$work/server.log"; return 1
}

stop_demo_server() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }

# The demo token of a role.
demo_token() { "$repo/.venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/tokens.json" "$1"; }
