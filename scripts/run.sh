#!/usr/bin/env bash
# `make run`: the action server and the engine together; Ctrl-C stops both.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/venv.sh app >/dev/null
scripts/venv.sh engine >/dev/null
scripts/train.sh >/dev/null
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait' EXIT INT TERM
scripts/actions.sh & pids+=($!)
scripts/engine.sh & pids+=($!)
port=${ENGINE_PORT:-5005}
for _ in $(seq 1 120); do
  if curl -fs "http://127.0.0.1:$port/status${RASA_TOKEN:+?token=$RASA_TOKEN}" >/dev/null 2>&1; then
    cat <<MSG

  The assistant is up: engine on http://127.0.0.1:$port, actions on http://127.0.0.1:${ACTIONS_PORT:-5055}
  Chat with it:  make chat      (or POST {"sender": "me", "message": "hi"} to
                 http://127.0.0.1:$port/webhooks/rest/webhook)
  Stop:          Ctrl-C

MSG
    break
  fi
  sleep 1
done
wait -n "${pids[@]}"
