#!/usr/bin/env bash
# Runs the engine environment's `rasa` with the repo on the path, so config.yml can name the
# custom NLU components in nlu_components/ (the only code of ours the engine imports).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
engine=$("$root/scripts/venv.sh" engine)
export PYTHONPATH=$root${PYTHONPATH:+:$PYTHONPATH}
exec "$engine/bin/rasa" "$@"
