#!/usr/bin/env bash
# A regression gate for CI: the same benchmark at two commits, compared.
#
#   examples/ci/gate.sh BASE HEAD [CONFIG]
#
# Checks out BASE and HEAD of the repository in the current folder side by side (git worktrees),
# runs `tokenbench run --config CONFIG` (default tokenbench.yaml) in each, so that model folders and
# settings come from that commit, and compares the two. The comparison goes to stdout as markdown,
# and to the job summary when $GITHUB_STEP_SUMMARY is set. Exit code: compare's (0 no regression,
# 1 a significant regression past the threshold, 2 bad input), or run's when a run fails.
#
# Environment: TOKENBENCH (the command; default ./node_modules/.bin/tokenbench, else tokenbench on
# the PATH), TOKENBENCH_THRESHOLD
# (default 5%), TOKENBENCH_GATE_DIR (where the results go, default a new temporary folder; kept).
# The runs are one after the other: drift of the machine between them shows as a change. Runs too
# noisy for the threshold are reported as such under the table.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BASE HEAD [CONFIG]" >&2; exit 2; }
base=$1 head=$2 config=${3:-tokenbench.yaml}
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "gate: $PWD is not in a git repository" >&2; exit 2; }
for side in base head; do
  git rev-parse --verify --quiet "${!side}^{commit}" >/dev/null || { echo "gate: ${side^^} ${!side} is not a commit in this repository" >&2; exit 2; }
done
# the command is found here, before the runs change folder
if [ -n "${TOKENBENCH:-}" ]; then tokenbench=$TOKENBENCH
elif [ -x node_modules/.bin/tokenbench ]; then tokenbench="$PWD/node_modules/.bin/tokenbench"
else tokenbench=tokenbench; fi
out=${TOKENBENCH_GATE_DIR:-$(mktemp -d)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
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
  # run inside the checkout: relative model paths in the config are that commit's
  (cd "$trees/$side" && $tokenbench run --config "$config" --no-store --quiet --output "$out/$side.json")
done

status=0
$tokenbench compare "$out/base.json" "$out/head.json" --format markdown --threshold "${TOKENBENCH_THRESHOLD:-5%}" --output "$out/compare.md" || status=$?
if [ -f "$out/compare.md" ]; then
  cat "$out/compare.md"
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat "$out/compare.md" >> "$GITHUB_STEP_SUMMARY"; fi
fi
echo "gate: results in $out" >&2
exit "$status"
