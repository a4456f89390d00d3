#!/usr/bin/env bash
# Runs the whole system on a fresh clone: installs Node.js 24 into .tools/ when the machine's is
# older, installs dependencies, builds, then `npm start` (migrations, the API with its relay on
# port 5001, and one worker). PostgreSQL and RabbitMQ must be running; see the README.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-node.sh
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
npm ci --no-audit --no-fund
npm run build
exec npm start
