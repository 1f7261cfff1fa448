#!/usr/bin/env bash
# Installs what is missing, builds the optimised binary and starts the gateway.
# Every argument goes to `llmgw serve` (--config FILE, --host H, --port N,
# --workers N). With no vendor key in the environment it runs in demo mode.
#
#   scripts/serve.sh [llmgw serve options]
#
# Env: LLMGW_JOBS (build parallelism, default: cores).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

scripts/install-deps.sh --no-npm
echo "serve.sh: building build/release/llmgw"
cmake --preset release >/dev/null
cmake --build --preset release -j "${LLMGW_JOBS:-$(nproc)}"
exec build/release/llmgw serve "$@"
