#!/usr/bin/env bash
# Installs what Steward needs on a fresh Debian machine with Node.js: Deno (from npm),
# nats-server (from Debian); with STEWARD_BOOTSTRAP_TESTS=1 (scripts/test.sh) also netcat, which
# a test of the seed's `nc -U` uses. Does nothing for what is already there.
set -euo pipefail
DENO_VERSION=2.9.6
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi

if ! command -v deno >/dev/null || ! deno --version | grep -q "deno $DENO_VERSION"; then
  echo "bootstrap: installing deno $DENO_VERSION" >&2
  $SUDO npm install -g "deno@$DENO_VERSION" >&2
fi
missing=()
command -v nats-server >/dev/null || missing+=(nats-server)
if [ "${STEWARD_BOOTSTRAP_TESTS:-}" = 1 ]; then
  command -v nc >/dev/null || missing+=(netcat-openbsd)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
fi
