#!/usr/bin/env bash
# Time of the default benchmark as a new user meets it: model built from scratch (empty cache),
# then the default run (5 warmups, 20 iterations, batch 1, 128 + 128 tokens, synthetic:tiny).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
cache=$(mktemp -d)
out=$(mktemp -d)
start=$(date +%s.%N)
TOKENBENCH_CACHE_DIR="$cache" node dist/cli/main.js run --quiet --output-dir "$out" | tail -n 6
end=$(date +%s.%N)
echo "default benchmark with a cold model cache: $(echo "$end - $start" | bc) s"
rm -rf "$cache" "$out"
