#!/usr/bin/env bash
# Creates .venv with the pinned packages. Idempotent: a second run only checks.
# torch goes first and pinned: an unpinned torch (or one pulled in by monai) would fetch GBs of CUDA wheels.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
stamp=.venv/.requirements-installed
if [ -f "$stamp" ] && cmp -s requirements.txt "$stamp"; then
  exit 0
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check torch==2.13.0
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
.venv/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
cp requirements.txt "$stamp"
