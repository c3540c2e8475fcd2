#!/usr/bin/env bash
# Runs the app environment's Python with the repo on the path: `scripts/app.sh -m pytest`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
app=$(scripts_dir=$root/scripts "$root/scripts/venv.sh" app)
export PYTHONPATH=$root${PYTHONPATH:+:$PYTHONPATH} HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec "$app/bin/python" "$@"
