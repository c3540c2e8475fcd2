#!/usr/bin/env bash
# `make run`: action server, engine and gateway together — and, when no platform credentials
# are set, the local sandbox playing X and Messenger with a page to chat as a customer.
# Ctrl-C stops everything.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -f .env ] && set -a && . ./.env && set +a
scripts/venv.sh app >/dev/null
scripts/venv.sh engine >/dev/null
scripts/train.sh >/dev/null
export ENGINE_PORT=${ENGINE_PORT:-5005}
export ENGINE_URL=${ENGINE_URL:-http://127.0.0.1:$ENGINE_PORT}

sandbox=""
if [ -z "${MESSENGER_APP_SECRET:-}${X_CONSUMER_SECRET:-}" ]; then
  sandbox=yes
  eval "$(scripts/app.sh -m sandbox --env)"  # the gateway talks to the simulators
  # A demo admin for the desk, only while nobody has an account (the sandbox is loopback-only).
  DESK_ADMIN_PASSWORD=sandbox-demo-password \
    scripts/app.sh -m desk create-admin demo --name "Demo agent" --if-no-staff
fi

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait' EXIT INT TERM
scripts/actions.sh & pids+=($!)
scripts/engine.sh & pids+=($!)
scripts/app.sh -m gateway & pids+=($!)
[ -n "$sandbox" ] && { scripts/app.sh -m sandbox & pids+=($!); }

for _ in $(seq 1 300); do
  if curl -fs "http://127.0.0.1:$ENGINE_PORT/status${RASA_TOKEN:+?token=$RASA_TOKEN}" >/dev/null 2>&1 &&
     curl -fs "http://${GATEWAY_HOST:-127.0.0.1}:${GATEWAY_PORT:-8080}/healthz" >/dev/null 2>&1; then
    cat <<MSG

  The assistant is up: engine on http://127.0.0.1:$ENGINE_PORT, actions on
  http://127.0.0.1:${ACTIONS_PORT:-5055}, gateway (webhooks, /metrics) on
  http://${GATEWAY_HOST:-127.0.0.1}:${GATEWAY_PORT:-8080}
MSG
    echo "  Desk (support staff): http://${GATEWAY_HOST:-127.0.0.1}:${GATEWAY_PORT:-8080}/desk/"
    if [ -n "$sandbox" ]; then
      echo "  Sandbox: chat as a Messenger or X customer at http://${SANDBOX_HOST:-127.0.0.1}:${SANDBOX_PORT:-8090}"
      echo "           the desk's demo sign-in (while no other account exists): demo / sandbox-demo-password"
    fi
    cat <<MSG
  Or in the terminal:  make chat   (the engine's REST channel)
  Stop:                Ctrl-C

MSG
    break
  fi
  sleep 1
done
wait -n "${pids[@]}"
