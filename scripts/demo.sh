#!/usr/bin/env bash
# Runs the Steward demo on a fresh machine: installs what is missing, then starts a broker,
# central and two nodes, sends the seed's example messages and shows the results.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
exec deno run -A scripts/demo.ts "$@"
