#!/usr/bin/env bash
# `make bench`: every benchmark in turn, each printing its figures (results also in bench/results/).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/train.sh >/dev/null
for script in faq_threshold nlu_accuracy engine_latency engine_startup gateway_latency gateway_soak desk_pages desk_live; do
  echo "== bench/$script.py"
  scripts/app.sh "bench/$script.py"
done
