#!/bin/bash
# One scenario as a bazel test (see scenario_suite.bzl):
#   scenario_test.sh RUNNER FILE [SEEDS] [EXPECT_FAILURE]
# SEEDS ("1-40") runs a seed sweep, split over the test's shards; every seed
# must pass and repeat its trace hash. EXPECT_FAILURE: the scenario must fail
# with a message containing this text.
set -euo pipefail

runner="$1"
file="$2"
seeds="${3:-}"
expect_failure="${4:-}"
out="${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-/tmp}/scenario-out}"
args=()
[[ -z "${expect_failure}" ]] || args+=(--expect_failure="${expect_failure}")

# Bazel asks test runners to confirm they honour sharding.
[[ -z "${TEST_SHARD_STATUS_FILE:-}" ]] || touch "${TEST_SHARD_STATUS_FILE}"

if [[ -z "${seeds}" ]]; then
  exec "${runner}" check "${file}" --out="${out}" "${args[@]}"
fi

if [[ ! "${seeds}" =~ ^([0-9]+)-([0-9]+)$ ]]; then
  echo "scenario_test: seeds must look like 1-40, got \"${seeds}\"" >&2
  exit 2
fi
first="${BASH_REMATCH[1]}"
last="${BASH_REMATCH[2]}"
shards="${TEST_TOTAL_SHARDS:-1}"
index="${TEST_SHARD_INDEX:-0}"
failed=0
ran=0
for ((seed = first; seed <= last; seed++)); do
  ((seed % shards == index)) || continue
  ran=$((ran + 1))
  # Files only for a seed that fails, so a sweep's outputs stay small.
  if ! "${runner}" check "${file}" --seed="${seed}" "${args[@]}" >"${TEST_TMPDIR}/seed.log" 2>&1; then
    failed=$((failed + 1))
    cat "${TEST_TMPDIR}/seed.log"
    "${runner}" run "${file}" --seed="${seed}" --progress=false --out="${out}/seed-${seed}" >/dev/null 2>&1 || true
    echo "seed ${seed}: FAILED (files in ${out}/seed-${seed})"
  else
    grep -m1 '^determinism' "${TEST_TMPDIR}/seed.log" | sed "s/^/seed ${seed}: /"
  fi
done
echo "shard ${index}/${shards}: ${ran} seeds, ${failed} failed"
((ran > 0)) || { echo "scenario_test: no seed fell in this shard" >&2; exit 1; }
((failed == 0))
