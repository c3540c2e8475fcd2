#!/usr/bin/env bash
# Builds a virtual environment once and prints its path. `scripts/venv.sh app|engine`.
# Venvs live outside the clone, keyed by the lock file and interpreter, so a fresh clone (and CI)
# reuses them while the lock is unchanged. A build that was interrupted is started again.
set -euo pipefail
name=${1:?usage: scripts/venv.sh app|engine}
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${SUPPORTBOT_CACHE:-$HOME/.cache/supportbot}

pyenv_python() {  # newest pyenv-installed CPython $1.x, else pythonX.Y on PATH
  local want=$1 found=""
  if command -v pyenv >/dev/null 2>&1; then
    found=$(ls -d "$(pyenv root)"/versions/"$want".*/bin/python"$want" 2>/dev/null | sort -V | tail -n 1 || true)
  fi
  [ -n "$found" ] || found=$(command -v "python$want" || true)
  [ -n "$found" ] || { echo "scripts/venv.sh: Python $want not found (install it with pyenv)" >&2; exit 1; }
  echo "$found"
}

case $name in
  app) python=${APP_PYTHON:-$(pyenv_python 3.11)} ;;
  engine) python=${ENGINE_PYTHON:-$(pyenv_python 3.10)} ;;
  *) echo "scripts/venv.sh: unknown environment '$name'" >&2; exit 2 ;;
esac
lock=$root/requirements/$name.lock
key=$( (cat "$lock"; "$python" -c 'import sys; print(sys.version)') | sha256sum | cut -c1-12)
venv=$cache/venvs/$name-$key

if [ ! -f "$venv/.complete" ]; then
  mkdir -p "$cache/venvs"
  exec 9>"$venv.lock"
  flock 9  # two make targets building the same venv at once wait for each other
  if [ ! -f "$venv/.complete" ]; then
    echo "Building the $name environment in $venv (once per lock file change)..." >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade "pip==24.2" >&2
    "$venv/bin/python" -m pip install -q -r "$lock" >&2
    touch "$venv/.complete"
  fi
fi
echo "$venv"
