#!/usr/bin/env bash
# Serves the action server (our code) on ACTIONS_HOST:ACTIONS_PORT.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -f .env ] && set -a && . ./.env && set +a
app=$(scripts/venv.sh app)
export PYTHONPATH=$root HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec "$app/bin/python" -m actions
