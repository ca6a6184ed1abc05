#!/bin/sh
# The test suite: node's test runner over tests/*.test.mjs, one file at a
# time (the boot tests each want the machine's cores).
set -eu
cd "$(dirname "$0")/.."
exec node --test --test-concurrency=1 tests/*.test.mjs
