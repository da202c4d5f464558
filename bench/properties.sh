#!/usr/bin/env bash
# Every Hypothesis property test (marked `property` by tests/conftest.py) under the `thorough`
# profile: random, ten times the examples CI runs. Run it before changing the normaliser or the
# diff; each failure is a real bug to fix at its root and pin with @example.
#   bench/properties.sh                 # all property tests, one process
#   bench/properties.sh -n 2 tests/tracker/normalize
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
python -m pytest -q -m property --hypothesis-profile=thorough -n 0 "$@"
echo "thorough property run: $(($(date +%s) - start)) s"
