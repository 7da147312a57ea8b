#!/usr/bin/env bash
# Makes a fresh Debian machine ready to run Voelgoed: system packages, then .venv.
# Idempotent: `make` calls it whenever pyproject.toml is newer than the venv stamp.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
apt_packages=()
# libzbar0: pyzbar's native library (an alternative QR decoder). --no-install-recommends
# because its Recommends pull ImageMagick and Ghostscript.
ldconfig -p 2>/dev/null | grep -q 'libzbar\.so\.0' || apt_packages+=(libzbar0)
"$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || apt_packages+=(python3-venv)

if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bootstrap: installing ${apt_packages[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}"
  else
    echo "bootstrap: please install these Debian packages first (as root): ${apt_packages[*]}" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
