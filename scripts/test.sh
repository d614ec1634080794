#!/usr/bin/env bash
# Runs Steward's tests on a fresh machine: installs Deno, nats-server and netcat when missing,
# then every suite (or the one named: unit, e2e, attacks, faults). Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
STEWARD_BOOTSTRAP_TESTS=1 ./scripts/bootstrap.sh
exec deno run -A scripts/test.ts "$@"
