#!/bin/bash
# End to end: rtcsim_scenario sweep → replay → shrink on a small lossy
# scenario where some seeds fail (testdata/lossy_pair.textproto), and the
# bad inputs each verb must refuse with exit status 2.
#   sweep_replay_shrink_test.sh RUNNER SCENARIO
set -uo pipefail

runner="$1"
scenario="$2"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect_status WANT NAME -- command...: runs it, output in ${tmp}/NAME.out.
expect_status() {
  local want="$1" name="$2"
  shift 3
  "$@" >"${tmp}/${name}.out" 2>&1
  local got=$?
  if [[ "${got}" != "${want}" ]]; then
    fail "${name}: exit ${got}, want ${want}; output:"
    sed 's/^/    /' "${tmp}/${name}.out" >&2
  fi
}

expect_output() {
  local name="$1" text="$2"
  grep -qF -- "${text}" "${tmp}/${name}.out" || {
    fail "${name}: no \"${text}\" in the output:"
    sed 's/^/    /' "${tmp}/${name}.out" >&2
  }
}

# --- sweep -------------------------------------------------------------------
expect_status 1 sweep -- "${runner}" sweep "${scenario}" --seeds 1-30 --jobs 2 --out "${tmp}/sweep"
cat "${tmp}/sweep.out"
expect_output sweep "total       30"
expect_output sweep "failures by expectation"
expect_output sweep 'expect[2] b: messages on "x"'
expect_output sweep "seeds/s"
expect_output sweep "[####################] 30/30 seeds"
passed=$(sed -n 's/^  passed *\([0-9]*\)$/\1/p' "${tmp}/sweep.out")
[[ -n "${passed}" && "${passed}" -gt 0 && "${passed}" -lt 30 ]] ||
  fail "the test scenario should fail for some seeds and pass for others (passed: '${passed}')"
[[ -s "${tmp}/sweep/sweep.json" ]] || fail "no sweep.json"
[[ "$(wc -l <"${tmp}/sweep/sweep.csv")" == 31 ]] || fail "sweep.csv should have 31 lines"
captures=("${tmp}"/sweep/failures/seed-*.capture.textproto)
[[ -f "${captures[0]}" ]] || { fail "no failure capture written"; exit 1; }
[[ "${#captures[@]}" == "$((30 - passed))" ]] || fail "${#captures[@]} captures for $((30 - passed)) failures"
capture="${captures[0]}"
echo "capture: ${capture}"

# The same sweep one job at a time: the same results, in the same order.
expect_status 1 sweep1 -- "${runner}" sweep "${scenario}" --seeds 1-30 --jobs 1 --out "${tmp}/sweep1" --progress=false
cmp -s "${tmp}/sweep/sweep.csv" "${tmp}/sweep1/sweep.csv" || fail "sweep.csv differs between --jobs 2 and --jobs 1"

# --- replay ------------------------------------------------------------------
expect_status 0 replay -- "${runner}" replay "${capture}" --out "${tmp}/replay"
cat "${tmp}/replay.out"
hash=$(sed -n 's/^trace_hash: "\(.*\)"$/\1/p' "${capture}")
[[ -n "${hash}" ]] || fail "no trace_hash in ${capture}"
expect_output replay "replay: trace hash ${hash} (capture: ${hash}): reproduced"
expect_output replay 'FAILED expect[2] b: messages on "x"'
[[ -s "${tmp}/replay/summary.json" ]] || fail "replay wrote no summary.json"

# A capture whose hash does not match: exit 1, "DIFFERENT".
sed "s/^trace_hash: .*/trace_hash: \"0000000000000000\"/" "${capture}" >"${tmp}/other.capture.textproto"
expect_status 1 replay_other -- "${runner}" replay "${tmp}/other.capture.textproto" --out "${tmp}/replay2"
expect_output replay_other "(capture: 0000000000000000): DIFFERENT"

# --- shrink ------------------------------------------------------------------
expect_status 0 shrink -- "${runner}" shrink "${capture}" --max-runs 80
cat "${tmp}/shrink.out"
shrunk="${capture%.capture.textproto}.shrunk.textproto"
[[ -f "${shrunk}" ]] || { fail "no ${shrunk}"; exit 1; }
[[ -f "${capture%.capture.textproto}.shrunk.capture.textproto" ]] || fail "no shrunk capture"
expect_output shrink "shrink: removed"
count() { grep -c "^$1 {" "$2"; }
before=$(($(count peer "${scenario}") + $(count call "${scenario}") + $(count event "${scenario}")))
after=$(($(count peer "${shrunk}") + $(count call "${shrunk}") + $(count event "${shrunk}")))
((after < before)) || fail "the shrunk scenario is not smaller (${after} peers+calls+events, was ${before})"
grep -q "^# Shrunk by" "${shrunk}" || fail "no header comment in ${shrunk}"
seed=$(sed -n 's/^seed: \([0-9]*\)$/\1/p' "${capture}")
grep -q "^seed: ${seed}$" "${shrunk}" || fail "the shrunk scenario does not carry seed ${seed}"
# A plain run of it fails the same way.
expect_status 1 run_shrunk -- "${runner}" run "${shrunk}" --progress=false
expect_output run_shrunk 'b: messages on "x"'
expect_status 0 replay_shrunk -- "${runner}" replay "${capture%.capture.textproto}.shrunk.capture.textproto" --out "${tmp}/replay3"
expect_output replay_shrunk "reproduced"

# A capture of a passing seed: nothing to shrink.
pass_seed=$(awk -F, '$2 == "true" { print $1; exit }' "${tmp}/sweep/sweep.csv")
sed "s/^seed: .*/seed: ${pass_seed}/" "${capture}" >"${tmp}/passing.capture.textproto"
expect_status 1 shrink_passing -- "${runner}" shrink "${tmp}/passing.capture.textproto"
expect_output shrink_passing "nothing to shrink"

# --- bad input ---------------------------------------------------------------
expect_status 2 bad_range -- "${runner}" sweep "${scenario}" --seeds 5-1
expect_output bad_range "A <= B"
expect_status 2 too_many -- "${runner}" sweep "${scenario}" --seeds 1-100001
expect_output too_many "at most 100000 seeds"
expect_status 2 no_seeds -- "${runner}" sweep "${scenario}"
expect_output no_seeds "sweep needs --seeds"
expect_status 2 bad_jobs -- "${runner}" sweep "${scenario}" --seeds 1-2 --jobs 0
expect_output bad_jobs "--jobs must be an integer from 1 to 64"
expect_status 2 missing -- "${runner}" sweep "${tmp}/missing.textproto" --seeds 1-2
expect_output missing "missing.textproto"
printf 'scenario {\n  name: "x"\n  garbage here\n}\n' >"${tmp}/garbage.capture.textproto"
expect_status 2 garbage_replay -- "${runner}" replay "${tmp}/garbage.capture.textproto"
expect_output garbage_replay "garbage.capture.textproto:3:"
expect_status 2 garbage_shrink -- "${runner}" shrink "${tmp}/garbage.capture.textproto"
expect_output garbage_shrink "garbage.capture.textproto:3:"
expect_status 2 missing_capture -- "${runner}" replay "${tmp}/none.capture.textproto"
expect_output missing_capture "none.capture.textproto: cannot read"
expect_status 2 bad_max_runs -- "${runner}" shrink "${capture}" --max-runs 0
expect_output bad_max_runs "--max-runs must be at least 1"

if ((failures > 0)); then
  echo "${failures} check(s) failed" >&2
  exit 1
fi
echo PASS
