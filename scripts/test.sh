#!/usr/bin/env bash
# Runs the test suite on a fresh clone: installs Node.js 24 into .tools/ when the machine's is older,
# installs dependencies, then `npm test` (which builds first). PostgreSQL and RabbitMQ must be
# running; `bash scripts/ensure-services.sh` starts local ones that are down.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-node.sh
export PATH="$PWD/.tools/node_modules/.bin:$PATH"
npm ci --no-audit --no-fund
npm test
