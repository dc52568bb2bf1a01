#!/bin/bash
# Runs the benchmark binary briefly and checks that its JSON report names the
# benchmark and counts iterations.
set -euo pipefail

readonly binary="$1"
output="$("${binary}" --benchmark_min_time=0.01 --benchmark_format=json)"

for expected in '"name": "BM_SumOfSquares"' '"iterations"'; do
  if ! grep -qF -- "${expected}" <<<"${output}"; then
    echo "missing ${expected} in benchmark output:" >&2
    echo "${output}" >&2
    exit 1
  fi
done
echo "PASS"
