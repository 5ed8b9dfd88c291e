#!/usr/bin/env bash
# Makes Debian's Chromium available for the dashboard's browser tests (tests/admin/test_browser.py,
# which drive it with Playwright as /usr/bin/chromium). Idempotent: does nothing once it is there.
# Installs only as root; otherwise says what to run and exits 0, so a developer's machine just
# skips those tests (under CI=1 they fail instead of skipping).
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
    echo "Chromium already installed: $CHROMIUM"
    exit 0
fi
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq
    # fonts-dejavu-core: a minimal image has no fonts, and the pages would render no text.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core
    "$CHROMIUM" --version
    exit 0
fi
echo "install.sh: $CHROMIUM is missing; the browser tests will skip. To run them, as root:" >&2
echo "    apt-get update && apt-get install -y chromium fonts-dejavu-core" >&2
exit 0
