#!/bin/bash
# Runs a benchmark binary briefly and fails if it does not run every
# benchmark to completion. Times are not checked: they depend on the machine.
set -euo pipefail
binary="$1"
out="$("${binary}" --benchmark_min_time=0.01 2>&1)" || {
  echo "${out}"
  echo "FAIL: ${binary} exited with an error"
  exit 1
}
echo "${out}"
if grep -q "ERROR OCCURRED" <<<"${out}"; then
  echo "FAIL: a benchmark reported an error"
  exit 1
fi
if ! grep -q "items_per_second" <<<"${out}"; then
  echo "FAIL: no benchmark reported items_per_second"
  exit 1
fi
