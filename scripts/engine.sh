#!/usr/bin/env bash
# Serves the engine (Rasa with its HTTP API) on ENGINE_HOST:ENGINE_PORT, training first if needed.
# Without RASA_TOKEN the API is open, so it then listens on loopback only, whatever ENGINE_HOST says.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -f .env ] && set -a && . ./.env && set +a
scripts/venv.sh engine >/dev/null
model=$(scripts/train.sh)
port=${ENGINE_PORT:-5005}
host=${ENGINE_HOST:-127.0.0.1}
auth=()
if [ -n "${RASA_TOKEN:-}" ]; then
  auth=(--auth-token "$RASA_TOKEN")
else
  host=127.0.0.1
fi
export ACTION_ENDPOINT_URL=${ACTION_ENDPOINT_URL:-http://${ACTIONS_HOST:-127.0.0.1}:${ACTIONS_PORT:-5055}/webhook}
mkdir -p var
exec scripts/rasa.sh run --enable-api --model "$model" -i "$host" -p "$port" \
  --endpoints "${ENGINE_ENDPOINTS:-endpoints.yml}" --credentials credentials.yml "${auth[@]}"
