#!/usr/bin/env bash
# Installs Node.js 24 from the npm registry (the `node` package) into .tools/ when the Node.js on
# PATH is older. Afterwards, put .tools/node_modules/.bin first on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

required=24
current=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$current" -ge "$required" ]; then
  exit 0
fi
if [ -x .tools/node_modules/.bin/node ] && [ "$(.tools/node_modules/.bin/node -p 'process.versions.node.split(".")[0]')" -ge "$required" ]; then
  exit 0
fi
echo "Node.js $current found; installing Node.js $required into .tools/"
npm install --no-save --no-audit --no-fund --prefix .tools "node@$required"
