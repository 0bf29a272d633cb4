#!/usr/bin/env bash
# Install Debian's chromium for the report browser test. Idempotent: a no-op (well under a
# second) when chromium is already there. Never downloads a browser build of its own
# (no `playwright install`): Playwright drives this system chromium via executable_path.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
    echo "install-browser: chromium already installed ($(chromium --version 2>/dev/null || echo unknown))"
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-browser: not root and no sudo; cannot install chromium" >&2; exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
echo "install-browser: installed $(chromium --version 2>/dev/null || echo chromium)"
