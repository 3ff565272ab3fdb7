#!/usr/bin/env bash
# The test command from README.md: sets up the environment from nothing, then runs every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
exec .venv/bin/python -m pytest -q "$@"
