#!/usr/bin/env bash
# A regression gate for CI: the same benchmark at two commits, compared.
#
#   examples/ci/gate.sh BASE HEAD [CONFIG]
#
# Checks out BASE and HEAD of the repository in the current folder side by side (git worktrees) and
# runs `tokenbench run --config CONFIG` (default tokenbench.yaml) in each, so that model folders and
# settings come from that commit, in alternating rounds: base then head, head then base, ... A
# shared CI runner's load changes over minutes, so two runs one after the other differ by it; in
# rounds, `compare` pairs each round's base with the same round's head (a t-test of the per-round
# ratios), and the load a round saw hits both sides alike. The comparison goes to stdout as
# markdown, and to the job summary when $GITHUB_STEP_SUMMARY is set. Rounds too noisy for the
# threshold are reported as such under the table (with how many rounds would do), not as a
# regression. Exit code: compare's (0 no regression, 1 a significant regression past the threshold,
# 2 bad input), or run's when a run fails.
#
# Environment: TOKENBENCH (the command; default ./node_modules/.bin/tokenbench, else tokenbench on
# the PATH), TOKENBENCH_THRESHOLD (default 5%), TOKENBENCH_GATE_ROUNDS (default 6; each round runs
# the config once per side, so the gate takes that many times two runs), TOKENBENCH_GATE_DIR (where
# the results go, default a new temporary folder; kept: base/round-N.json, head/round-N.json).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BASE HEAD [CONFIG]" >&2; exit 2; }
base=$1 head=$2 config=${3:-tokenbench.yaml}
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "gate: $PWD is not in a git repository" >&2; exit 2; }
for side in base head; do
  git rev-parse --verify --quiet "${!side}^{commit}" >/dev/null || { echo "gate: ${side^^} ${!side} is not a commit in this repository" >&2; exit 2; }
done
rounds=${TOKENBENCH_GATE_ROUNDS:-6}
[[ $rounds =~ ^[0-9]+$ ]] && [ "$rounds" -ge 2 ] || { echo "gate: TOKENBENCH_GATE_ROUNDS must be a whole number of at least 2, got '$rounds'" >&2; exit 2; }

# the command is found here, before the runs change folder
if [ -n "${TOKENBENCH:-}" ]; then tokenbench=$TOKENBENCH
elif [ -x node_modules/.bin/tokenbench ]; then tokenbench="$PWD/node_modules/.bin/tokenbench"
else tokenbench=tokenbench; fi
out=${TOKENBENCH_GATE_DIR:-$(mktemp -d)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
for side in base head; do
  # rounds of an earlier gate would be compared with these: refuse rather than mix or delete them
  if [ -n "$(ls -A "$out/$side" 2>/dev/null)" ]; then echo "gate: $out/$side already holds results; give TOKENBENCH_GATE_DIR a new or empty folder" >&2; exit 2; fi
done
trees=$(mktemp -d)
cleanup() {
  git worktree remove --force "$trees/base" 2>/dev/null || true
  git worktree remove --force "$trees/head" 2>/dev/null || true
  rm -rf "$trees"
}
trap cleanup EXIT

for side in base head; do
  rev=${!side}
  git worktree add --quiet --detach "$trees/$side" "$rev"
  echo "gate: $side = $rev ($(git rev-parse --short "$rev"))" >&2
  mkdir -p "$out/$side"
done
for ((r = 1; r <= rounds; r++)); do
  order="base head"
  [ $((r % 2)) -eq 0 ] && order="head base"
  for side in $order; do
    echo "gate: round $r/$rounds, $side" >&2
    # run inside the checkout: relative model paths in the config are that commit's
    (cd "$trees/$side" && $tokenbench run --config "$config" --no-store --quiet --output "$out/$side/round-$r.json" >&2)
  done
done

status=0
$tokenbench compare "$out/base" "$out/head" --format markdown --threshold "${TOKENBENCH_THRESHOLD:-5%}" --output "$out/compare.md" || status=$?
if [ -f "$out/compare.md" ]; then
  cat "$out/compare.md"
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat "$out/compare.md" >> "$GITHUB_STEP_SUMMARY"; fi
fi
echo "gate: results in $out" >&2
exit "$status"
