#!/usr/bin/env bash
# Makes a fresh Debian machine ready to run Voelgoed: system packages, then .venv.
# Idempotent: `make` calls it whenever pyproject.toml is newer than the venv stamp.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
lean=()   # installed with --no-install-recommends
full=()   # installed with their recommends
# libzbar0: pyzbar's native library (an alternative QR decoder). Without recommends:
# they pull ImageMagick and Ghostscript.
ldconfig -p 2>/dev/null | grep -q 'libzbar\.so\.0' || lean+=(libzbar0)
"$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || lean+=(python3-venv)
# Debian's Chromium: the real browser the browser tests drive (Playwright cannot download
# one here); its recommends bring the fonts pages are drawn with.
command -v chromium >/dev/null || full+=(chromium)

if [ ${#lean[@]} -gt 0 ] || [ ${#full[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bootstrap: installing ${lean[*]} ${full[*]}"
    apt-get update -qq
    export DEBIAN_FRONTEND=noninteractive
    [ ${#lean[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${lean[@]}"
    [ ${#full[@]} -eq 0 ] || apt-get install -y -qq "${full[@]}"
  else
    echo "bootstrap: please install these Debian packages first (as root): ${lean[*]} ${full[*]}" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
