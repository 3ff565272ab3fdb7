#!/usr/bin/env bash
# Creates .venv with the pinned packages. Idempotent: a second run only checks.
# torch goes first and pinned: an unpinned torch (or one pulled in by monai) would fetch GBs of CUDA wheels.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
# The browser tests drive Debian's chromium (never a downloaded browser): install it when missing.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: chromium is missing and cannot be installed here (needs root + apt-get); browser tests will fail" >&2
  fi
fi
# The install-tree test (Testing/slicer/test_install_tree.py) lays the extension out with cmake.
if ! command -v cmake >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake >/dev/null
  else
    echo "warning: cmake is missing and cannot be installed here (needs root + apt-get); the install-tree test is skipped" >&2
  fi
fi
stamp=.venv/.requirements-installed
if [ -f "$stamp" ] && cmp -s requirements.txt "$stamp"; then
  exit 0
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check torch==2.13.0
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
.venv/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
cp requirements.txt "$stamp"
