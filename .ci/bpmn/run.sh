#!/usr/bin/env bash
# Run the BPMN CI checks (bpmnlint recommended, bpmn-moddle import, diagram interchange)
# on every bpmn/*.bpmn of the repository, or on the files given as arguments.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
repo_root="$(cd ../.. && pwd)"

# Exactly the versions in package-lock.json: (re)install whenever the lockfile differs from the one installed.
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.package-lock.sha256 2>/dev/null)" != "$lock_sum" ]; then
  npm ci --no-audit --no-fund --silent
  echo "$lock_sum" > node_modules/.package-lock.sha256
fi

if [ "$#" -gt 0 ]; then
  files=()
  for f in "$@"; do
    case "$f" in
      /*) files+=("$f") ;;
      *) files+=("$OLDPWD/$f") ;;
    esac
  done
else
  shopt -s nullglob
  files=("$repo_root"/bpmn/*.bpmn)
  shopt -u nullglob
fi

exec node check.mjs "${files[@]}"
