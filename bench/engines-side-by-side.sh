#!/usr/bin/env bash
# The same synthetic shape on both engines, one run: TTFT and ITL side by side.
#   bash bench/engines-side-by-side.sh [model] [threads]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-synthetic:small}
threads=${2:-1}
npm run --silent build
node dist/cli/main.js run --engine transformers-js llama-cpp --model "$model" --dtype fp32 --engine-option threads="$threads" \
  --warmup 3 --iterations 10 --no-gpu-monitoring --quiet --output-dir "$(mktemp -d)" 2>&1 | tail -n 7 || true
