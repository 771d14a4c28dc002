#!/usr/bin/env bash
# xdomain's two commands (both create/reuse .venv from the pinned requirements):
#   ./run.sh demo [app.py args]   set up and open the demo on http://127.0.0.1:7860
#   ./run.sh test [pytest args]   set up (incl. Debian Chromium for browser tests) and run the full test suite
#   XDOMAIN_SCREENSHOTS=1 ./run.sh test tests/e2e   also refreshes the README screenshots in docs/screenshots/
# Setup also installs the xdomain package itself (editable, see pyproject.toml), so `.venv/bin/xdomain ...`
# and `.venv/bin/python -m xdomain ...` work from any folder.
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3

setup_venv() {  # $1 = requirements file; reinstalls only when it (or what it includes, or pyproject.toml) changed
  local req=$1 stamp="$VENV/.xdomain-$(basename "$1").sha256" want
  want=$(cat requirements.txt "$req" pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  echo "installing $req into $VENV (first run takes a few minutes) ..."
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
  # the package itself, editable; offline: the setuptools that torch requires (>= 77) builds it without `wheel`
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
  echo "$want" > "$stamp"
}

setup_chromium() {
  if [ -x /usr/bin/chromium ]; then return 0; fi
  echo "installing Debian chromium for the browser tests ..."
  local SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
}

export GRADIO_ANALYTICS_ENABLED=False HF_HUB_DISABLE_TELEMETRY=1 PYTHONUNBUFFERED=1
cmd=${1:-}; shift || true
case "$cmd" in
  demo)
    setup_venv requirements.txt
    exec "$VENV/bin/python" app.py "$@" ;;
  test)
    setup_venv requirements-dev.txt
    setup_chromium
    exec "$VENV/bin/python" -m pytest "$@" ;;
  *)
    echo "usage: ./run.sh demo [--host H --port P] | ./run.sh test [pytest args]" >&2; exit 2 ;;
esac
