#!/usr/bin/env bash
# Makes Debian's PostgreSQL server binaries available for the tests that run the ledger and the
# outbox on PostgreSQL (tests/peers/postgres.py starts a private cluster from them; the service
# itself is never started). Idempotent: does nothing once they are there. Installs only as
# root; otherwise says what to run and exits 0, so a developer's machine just skips those tests
# (under CI=1 they fail instead of skipping).
set -euo pipefail

if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    echo "PostgreSQL already installed: $(ls -d /usr/lib/postgresql/*/bin | tail -1)"
    exit 0
fi
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
    ls -d /usr/lib/postgresql/*/bin
    exit 0
fi
echo "install.sh: PostgreSQL is missing; its tests will skip. To run them, as root:" >&2
echo "    apt-get update && apt-get install -y postgresql" >&2
exit 0
