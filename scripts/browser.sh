#!/usr/bin/env bash
# Makes sure Debian's chromium is installed, for the desk's browser tests (Playwright drives the
# system browser; it never downloads one). Non-interactive; `apt-get update` only when the
# install fails, so a machine with fresh package lists does not fetch them again. Prints the path.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  command -v chromium
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium is missing and there is no apt-get: install chromium so that it is on PATH" >&2
  exit 1
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  as_root=(sudo -n)  # -n: fail rather than wait for a password
fi
export DEBIAN_FRONTEND=noninteractive
packages=(chromium fonts-liberation)  # fonts: screenshots without them show empty boxes
install() {
  "${as_root[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}" >&2
}
echo "Installing chromium with apt-get (for the desk's browser tests)..." >&2
if ! install; then
  "${as_root[@]}" apt-get update -q >&2
  install
fi
command -v chromium
