#!/usr/bin/env bash
# Prepare VS Code as code-server (from the npm registry) and a headless-Chromium driver, once
# per machine, for tests/editor/test_vscode_ui.py. Idempotent: a finished preparation is reused
# (a marker file says it is complete); an interrupted one is started again from scratch.
#
#   tests/editor/setup_code_server.sh [--warm]  # prints code-server's directory, then puppeteer-core's
#
# code-server's npm postinstall downloads prebuilt binaries, which fails offline; these steps
# install the same packages without install scripts and build the native modules against the
# Node's own headers instead. Needs root (or the packages already installed) for apt-get.
#
# --warm (setup_editors.sh, so CI) then opens the workbench once in headless Chromium, so that
# the first run's costs (Chromium's font cache and profile, code-server's first start, reading
# both from disk) are paid here and not inside the test's time limits.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
WARM=0
[ "${1:-}" = --warm ] && WARM=1

VERSION="${CODE_SERVER_VERSION:-4.100.3}"
PUPPETEER="${PUPPETEER_CORE_VERSION:-24.10.0}"
CACHE="${SLM_LSP_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/slm-lsp-test}"
DEST="$CACHE/code-server-$VERSION"
DRIVER="$CACHE/puppeteer-core-$PUPPETEER"
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
export NO_UPDATE_NOTIFIER=1
# node-gyp builds against the running Node's headers (a download otherwise, which fails offline).
node_prefix="$(cd "$(dirname "$(readlink -f "$(command -v node)")")/.." && pwd)"
for dir in "$node_prefix" /usr; do
    if [ -f "$dir/include/node/node.h" ]; then
        export npm_config_nodedir="$dir"
        break
    fi
done
# node-pty's install script runs `npx node-gyp`: let npx fetch it without asking.
export npm_config_yes=true

log() { echo "setup_code_server: $*" >&2; }

packages=(chromium ripgrep libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev
          fonts-dejavu-core build-essential python3 curl)
missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    if [ "$(id -u)" != 0 ]; then
        log "not root: install them with apt-get first"
        exit 2
    fi
    apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends "${missing[@]}" >&2
fi

if [ ! -f "$DRIVER/.ready" ]; then
    log "installing puppeteer-core $PUPPETEER"
    rm -rf "$DRIVER.partial" && mkdir -p "$DRIVER.partial"
    (cd "$DRIVER.partial" && echo '{"private": true}' > package.json &&
        PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-save --ignore-scripts \
            "puppeteer-core@$PUPPETEER" >&2)
    touch "$DRIVER.partial/.ready"
    rm -rf "$DRIVER" && mv "$DRIVER.partial" "$DRIVER"
fi

if [ ! -f "$DEST/.ready" ]; then
    log "preparing code-server $VERSION in $DEST"
    work="$DEST.partial"
    rm -rf "$work" && mkdir -p "$work"
    cd "$work"
    npm pack --silent "code-server@$VERSION" >&2
    tar xzf "code-server-$VERSION.tgz" && rm "code-server-$VERSION.tgz"
    cd package
    npm install --omit=dev --ignore-scripts >&2
    (cd lib/vscode && npm install --omit=dev --ignore-scripts >&2)
    (cd lib/vscode && npm rebuild kerberos node-pty @parcel/watcher @vscode/spdlog \
        @vscode/deviceid native-watchdog >&2)
    npm rebuild argon2 >&2
    mkdir -p lib/vscode/node_modules/@vscode/ripgrep/bin
    ln -sf /usr/bin/rg lib/vscode/node_modules/@vscode/ripgrep/bin/rg
    ln -sfn node_modules lib/vscode/node_modules.asar
    XDG_CONFIG_HOME="$work/.config" XDG_DATA_HOME="$work/.data" node out/node/entry.js --version >&2
    cd "$CACHE"
    touch "$work/.ready"
    rm -rf "$DEST" && mv "$work" "$DEST"
fi
if ((WARM)); then
    log "warming code-server and Chromium (first run)"
    scratch="$(mktemp -d)"
    port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1",
        () => { console.log(s.address().port); s.close(); })')"
    mkdir -p "$scratch/workspace"
    XDG_CONFIG_HOME="$scratch/config" XDG_DATA_HOME="$scratch/data" \
        setsid node "$DEST/package/out/node/entry.js" --auth none \
        --bind-addr "127.0.0.1:$port" --user-data-dir "$scratch/user-data" \
        --extensions-dir "$scratch/extensions" --disable-telemetry --disable-update-check \
        --disable-workspace-trust "$scratch/workspace" >"$scratch/code-server.log" 2>&1 &
    server=$!
    stop_server() { kill -TERM -- "-$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
    trap 'stop_server; rm -rf "$scratch"' EXIT
    for _ in $(seq 600); do
        curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
        kill -0 "$server" 2>/dev/null || { cat "$scratch/code-server.log" >&2; exit 1; }
        sleep 0.5
    done
    WARM=1 PUPPETEER_DIR="$DRIVER" OUT_DIR="$scratch" \
        URL="http://127.0.0.1:$port/?folder=$scratch/workspace" \
        node "$here/vscode/drive.mjs" >&2 ||
        { log "the workbench did not open"; cat "$scratch/code-server.log" >&2; exit 1; }
    log "warm: the workbench opened in $(node -p "require('$scratch/report.json').totalMs") ms"
fi
echo "$DEST/package"
echo "$DRIVER"
