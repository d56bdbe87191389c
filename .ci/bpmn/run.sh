#!/usr/bin/env bash
# Run the BPMN CI checks (bpmnlint recommended, bpmn-moddle import, diagram interchange)
# on every bpmn/*.bpmn of the repository, or on the files given as arguments.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
repo_root="$(cd ../.. && pwd)"

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund --silent
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
