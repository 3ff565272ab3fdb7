#!/usr/bin/env bash
# The test command from README.md: sets up the environment from nothing, then runs every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
# glibc fills freed and fresh heap memory with a pattern, so reading memory already given back (a numpy view of
# a temporary SimpleITK image, say) fails every run instead of once in a while.
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.perturb=165}"
exec .venv/bin/python -m pytest -q "$@"
