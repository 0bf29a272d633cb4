#!/usr/bin/env bash
# Install Stoplight Prism (pinned in tools/prism/package-lock.json) for tests/test_prism_run.py,
# which certifies Prism mocking the official v7 OpenAPI: a seller we did not write.
# Idempotent: a fast no-op when the pinned version is already installed. Uses the npm
# registry only (`npm ci` from the lockfile), runs no install scripts.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=tools/prism
bin="$dir/node_modules/.bin/prism"
want=$(node -p "require('./$dir/package.json').dependencies['@stoplight/prism-cli']" 2>/dev/null) || {
    echo "install-prism: node is required (Node.js >= 20.19 with npm)" >&2; exit 1; }
# Prism 5.16's faker dependency needs Node.js >= 20.19 (npm would only warn).
node -e "const [a,b]=process.versions.node.split('.').map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)" || {
    echo "install-prism: Node.js >= 20.19 is required, found $(node --version)" >&2; exit 1; }
have=$(node -p "require('./$dir/node_modules/@stoplight/prism-cli/package.json').version" 2>/dev/null || true)
if [ -x "$bin" ] && [ "$have" = "$want" ]; then
    echo "install-prism: prism $want already installed"
    exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "install-prism: npm is required" >&2; exit 1; }
npm ci --prefix "$dir" --ignore-scripts --no-audit --no-fund --loglevel=error
echo "install-prism: installed prism $("$bin" --version)"
