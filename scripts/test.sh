#!/usr/bin/env bash
# `make test`: what CI runs. Each step stops the run when it fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
engine=$(scripts/venv.sh engine)
scripts/venv.sh app >/dev/null
scripts/browser.sh >/dev/null  # Debian's chromium, for the desk's browser tests

echo "== ruff"
scripts/app.sh -m ruff check .
scripts/app.sh -m ruff format --check .
echo "== mypy"
scripts/app.sh -m mypy
echo "== generated code patterns are up to date"
scripts/app.sh -m codes.nlu_regex --check
echo "== NLU training data: shape, labels, no test text, no copy of a real customer tweet"
scripts/app.sh bench/nlu_data_build.py --check | tail -n 1
echo "== rasa data validate"
# Responses used only by custom actions are reported as "not used in any story or rule"; every
# other warning fails the run.
report=$(scripts/rasa.sh data validate --config config.yml --domain bot/domain.yml \
  --data bot/dialogue nlu_data 2>&1) || { echo "$report"; exit 1; }
if echo "$report" | grep "UserWarning" | grep -v "is not used in any story or rule"; then
  exit 1
fi
echo "== model"
scripts/train.sh >/dev/null
echo "== pytest (includes the engine's test stories, run against a live action server)"
scripts/app.sh -m pytest "$@"
