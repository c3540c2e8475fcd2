#!/usr/bin/env bash
# Trains the engine's model unless one for exactly this data and config exists. Prints its path.
# The model is named after a hash of everything it is trained from, and kept in a cache outside
# the clone too, so a fresh clone (and CI) reuses it while the data is unchanged.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cache=${SUPPORTBOT_CACHE:-$HOME/.cache/supportbot}
scripts/venv.sh engine >/dev/null

key=$( (cat requirements/engine.lock config.yml; find bot nlu_data nlu_components -name "*.py" -o -name '*.yml' | LC_ALL=C sort | xargs cat) \
  | sha256sum | cut -c1-16)
name=supportbot-$key
model=models/$name.tar.gz
mkdir -p models "$cache/models"
exec 9>"$cache/models/train.lock"
flock 9  # a second caller waits for the training under way, then finds the model

if [ ! -f "$model" ] && [ -f "$cache/models/$name.tar.gz" ]; then
  cp "$cache/models/$name.tar.gz" "$model"
fi
if [ ! -f "$model" ]; then
  echo "Training the engine model $name (data or config changed)..." >&2
  start=$(date +%s)
  scripts/rasa.sh train --config config.yml --domain bot/domain.yml --data bot/dialogue nlu_data \
    --out models --fixed-model-name "$name" >&2
  echo "Trained in $(( $(date +%s) - start ))s" >&2
  cp "$model" "$cache/models/$name.tar.gz.tmp" && mv "$cache/models/$name.tar.gz.tmp" "$cache/models/$name.tar.gz"
fi
# Only the current model stays, so nothing can load a stale one.
find models -name 'supportbot-*.tar.gz' ! -name "$name.tar.gz" -delete
echo "$root/$model"
