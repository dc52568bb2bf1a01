#!/bin/bash
# Tests the ./rtcsim wrapper without Bazel or apt: help and usage errors, and
# the "N passed, M failed" summary computed from saved `bazel test` output
# (tools/testdata/bazel_test_*.txt, captured from real Bazel 4.2.3 runs on a
# scratch package of passing, failing, flaky, timing-out and unbuildable
# tests) through the hidden `./rtcsim __count-results FILE [BAZEL_EXIT_CODE]`.
#
# Stub bazel, apt-get, sudo and dpkg-query come first on PATH and record any
# call, so a verb that reached for them by mistake fails this test.
set -euo pipefail

if [[ -n "${TEST_SRCDIR:-}" ]]; then
  readonly RUNFILES="${TEST_SRCDIR}/${TEST_WORKSPACE}"
else
  RUNFILES="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  readonly RUNFILES
fi
readonly RTCSIM="${RUNFILES}/rtcsim"
readonly TESTDATA="${RUNFILES}/tools/testdata"
readonly VERBS=(setup demo run sweep replay shrink test bench help)

tmp="$(mktemp -d "${TEST_TMPDIR:-/tmp}/rtcsim_cli_test.XXXXXX")"
trap 'rm -rf "${tmp}"' EXIT
mkdir "${tmp}/stubs"
for tool in bazel apt-get sudo dpkg-query; do
  cat >"${tmp}/stubs/${tool}" <<EOF
#!/bin/bash
echo "${tool} \$*" >>"${tmp}/forbidden_calls"
exit 99
EOF
  chmod +x "${tmp}/stubs/${tool}"
done
export PATH="${tmp}/stubs:${PATH}"

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# run ARGS...: runs rtcsim, setting rc, out and err.
run() {
  rc=0
  "${RTCSIM}" "$@" >"${tmp}/out" 2>"${tmp}/err" || rc=$?
  out="$(cat "${tmp}/out")"
  err="$(cat "${tmp}/err")"
}

# --- help -------------------------------------------------------------------

for flag in --help -h help; do
  run "${flag}"
  [[ "${rc}" == 0 ]] || fail "rtcsim ${flag}: exit ${rc}, want 0"
  [[ "${out}" == *"usage:"* ]] || fail "rtcsim ${flag}: no usage on stdout"
  for verb in "${VERBS[@]}"; do
    grep -qE "^  ${verb}( |$)" <<<"${out}" || fail "rtcsim ${flag}: verb '${verb}' not listed"
  done
  [[ "${out}" != *__count-results* ]] || fail "rtcsim ${flag}: lists the hidden helper"
done

# --- usage errors: exit 2, usage on stderr, nothing on stdout ---------------

usage_error_cases=(
  ""           # no verb
  "bogus"      # unknown verb
  "--bogus"    # unknown flag to the script
  "-x"
  "setup extra"
  "bench -x"
  "bench a b"
  "run"        # no scenario file
  "sweep"
  "replay"
  "shrink"
  "__count-results"
)
for args in "${usage_error_cases[@]}"; do
  # shellcheck disable=SC2086  # split the case into words
  run ${args}
  [[ "${rc}" == 2 ]] || fail "rtcsim ${args}: exit ${rc}, want 2"
  [[ "${err}" == *"usage:"* ]] || fail "rtcsim ${args}: no usage on stderr"
  [[ -z "${out}" ]] || fail "rtcsim ${args}: unexpected stdout: ${out}"
done

# --- counting test results --------------------------------------------------

# check_count FILE BAZEL_RC WANT_LINE WANT_RC
check_count() {
  local file="$1" bazel_rc="$2" want_line="$3" want_rc="$4" last
  run __count-results "${file}" "${bazel_rc}"
  last="$(tail -n 1 "${tmp}/out")"
  [[ "${last}" == "${want_line}" ]] ||
    fail "$(basename "${file}") (bazel exit ${bazel_rc}): last line '${last}', want '${want_line}'"
  [[ "${rc}" == "${want_rc}" ]] ||
    fail "$(basename "${file}") (bazel exit ${bazel_rc}): exit ${rc}, want ${want_rc}"
}

# A hand-written summary with one line per status, padded as Bazel does, a
# coloured line, a label longer than the padding, a FAILED log path line and
# a test log echoing a result-like line (which must not count).
esc=$'\e'
cat >"${tmp}/all_statuses.txt" <<EOF
INFO: From Testing //pkg:failed_test:
==================== Test output for //pkg:failed_test:
//pkg:inner_test                                                PASSED in 0.1s
================================================================================
INFO: Elapsed time: 12.3s, Critical Path: 4.5s
FAILED: Build did NOT complete successfully
//pkg:passed_test                                                PASSED in 0.1s
//pkg:cached_test                                       (cached) PASSED in 0.0s
//pkg:coloured_test                                     ${esc}[0m${esc}[32m(cached) PASSED${esc}[0m in 0.0s
//pkg:a_target_name_much_longer_than_the_seventy_eight_columns_of_padding_bazel_uses PASSED in 0.2s
@other_repo//pkg:passed_test                                     PASSED in 0.1s
//pkg:failed_test                                                FAILED in 0.3s
  /root/.cache/bazel/_bazel_root/0123/execroot/rtcsim/bazel-out/k8-fastbuild/testlogs/pkg/failed_test/test.log
//pkg:unbuilt_test                                               FAILED TO BUILD
//pkg:skipped_test                                               NO STATUS
//pkg:slow_test                                                  TIMEOUT in 60.0s
//pkg:flaky_test                                            (1/2 cached) FLAKY, failed in 1 out of 2 in 0.4s
//pkg:sharded_test                                               FAILED in 2 out of 4 in 1.0s
//pkg:incomplete_test                                            INCOMPLETE
//pkg:skip_test                                                  SKIPPED

Executed 9 out of 13 tests: 5 tests pass, 1 fails to build, ...
FAILED: Build did NOT complete successfully
EOF
check_count "${tmp}/all_statuses.txt" 1 "5 passed, 8 failed" 1
check_count "${tmp}/all_statuses.txt" 3 "5 passed, 8 failed" 3

cat >"${tmp}/all_passed.txt" <<'EOF'
INFO: Build completed successfully, 3 total actions
//stack/env:random_test                                         (cached) PASSED in 0.0s
//stack/env:socket_address_test                                          PASSED in 0.1s
//third_party/tests:absl_smoke_test                             (cached) PASSED in 0.0s

Executed 1 out of 3 tests: 3 tests pass.
EOF
check_count "${tmp}/all_passed.txt" 0 "3 passed, 0 failed" 0

# FLAKY passes as far as Bazel is concerned (exit 0); here it is a failure.
cat >"${tmp}/flaky.txt" <<'EOF'
//pkg:good_test                                                  PASSED in 0.1s
//pkg:flaky_test                                                 FLAKY, failed in 1 out of 2 in 0.4s
EOF
check_count "${tmp}/flaky.txt" 0 "1 passed, 1 failed" 1

# Nothing ran, yet Bazel said success: not a pass.
printf 'INFO: Build completed successfully, 1 total action\n' >"${tmp}/empty.txt"
check_count "${tmp}/empty.txt" 0 "0 passed, 0 failed" 1

# Real Bazel 4.2.3 output.
# --keep_going: PASSED (one label longer than the padding), FAILED TO BUILD x2,
# TIMEOUT, FAILED, FLAKY; the failing test's log echoes a PASSED-like line.
check_count "${TESTDATA}/bazel_test_keep_going.txt" 1 "2 passed, 5 failed" 1
# No --keep_going: (cached) PASSED x2, FLAKY, NO STATUS x2, FAILED TO BUILD, FAILED.
check_count "${TESTDATA}/bazel_test_mixed.txt" 1 "2 passed, 5 failed" 1
# --color=yes: (cached) PASSED x2, FAILED.
check_count "${TESTDATA}/bazel_test_color.txt" 3 "2 passed, 1 failed" 3
# --test_output=streamed: the test's own "PASSED" line precedes the summary.
check_count "${TESTDATA}/bazel_test_streamed.txt" 3 "1 passed, 1 failed" 3
# A BUILD file syntax error: no results at all.
check_count "${TESTDATA}/bazel_test_analysis_error.txt" 1 "0 passed, 1 failed" 1
# "No test targets were found": Bazel exits 4.
check_count "${TESTDATA}/bazel_test_no_tests.txt" 4 "0 passed, 1 failed" 4

run __count-results "${tmp}/does_not_exist.txt"
[[ "${rc}" != 0 ]] || fail "__count-results on a missing file succeeded"

# --- nothing above may have reached for bazel or apt -----------------------

if [[ -e "${tmp}/forbidden_calls" ]]; then
  fail "rtcsim called external tools: $(cat "${tmp}/forbidden_calls")"
fi

# --- setup against fake dpkg-query / apt-get --------------------------------
# libgmock-dev and tshark start missing; apt-get install fails ("stale
# lists") until apt-get update has run. sudo (used when not root) just runs
# its command.

fake="${tmp}/fake_apt"
mkdir -p "${fake}/bin"
printf 'libgmock-dev\ntshark\n' >"${fake}/missing"
: >"${fake}/apt_calls"
cat >"${fake}/bin/dpkg-query" <<EOF
#!/bin/bash
if grep -qx -- "\${@: -1}" "${fake}/missing"; then
  echo "dpkg-query: no packages found matching \${@: -1}" >&2
  exit 1
fi
printf 'install ok installed'
EOF
cat >"${fake}/bin/apt-get" <<EOF
#!/bin/bash
echo "DEBIAN_FRONTEND=\${DEBIAN_FRONTEND:-} \$*" >>"${fake}/apt_calls"
if [[ "\$1" == update ]]; then touch "${fake}/updated"; exit 0; fi
[[ -e "${fake}/updated" && ! -e "${fake}/always_fail" ]] || { echo "E: Unable to locate package tshark" >&2; exit 100; }
for pkg in "\$@"; do sed -i "/^\${pkg}\\\$/d" "${fake}/missing"; done
EOF
cat >"${fake}/bin/debconf-set-selections" <<EOF
#!/bin/bash
cat >>"${fake}/debconf"
EOF
cat >"${fake}/bin/sudo" <<'EOF'
#!/bin/bash
exec "$@"
EOF
chmod +x "${fake}"/bin/*

# run_setup: rtcsim setup with the fakes (and without the forbidding stubs).
run_setup() {
  rc=0
  PATH="${fake}/bin:${PATH#"${tmp}/stubs:"}" "${RTCSIM}" setup >"${tmp}/out" 2>"${tmp}/err" || rc=$?
  out="$(cat "${tmp}/out")"
}

run_setup
[[ "${rc}" == 0 ]] || fail "setup with missing packages: exit ${rc}: $(cat "${tmp}/err")"
[[ "${out}" == *"installing libgmock-dev tshark"* ]] || fail "setup did not say what it installs: ${out}"
[[ ! -s "${fake}/missing" ]] || fail "setup left packages missing: $(cat "${fake}/missing")"
grep -qx 'DEBIAN_FRONTEND=noninteractive install -y --no-install-recommends libgmock-dev tshark' \
  "${fake}/apt_calls" || fail "no apt-get install of exactly the missing packages: $(cat "${fake}/apt_calls")"
[[ "$(grep -c ' update$' "${fake}/apt_calls")" == 1 ]] ||
  fail "want exactly one apt-get update: $(cat "${fake}/apt_calls")"
grep -qx 'wireshark-common wireshark-common/install-setuid boolean false' "${fake}/debconf" ||
  fail "tshark's debconf question not preseeded"

: >"${fake}/apt_calls"
run_setup
# The count comes from the PACKAGES array itself, so adding a package needs
# no edit here; coturn and python3-aiortc must be in it (the coturn and
# aiortc interop tests need them).
n_packages="$(sed -n '/^readonly PACKAGES=(/,/^)/p' "${RTCSIM}" | grep -cE '^[[:space:]]+[a-z0-9]')"
sed -n '/^readonly PACKAGES=(/,/^)/p' "${RTCSIM}" | grep -qE '^[[:space:]]+coturn$' ||
  fail "coturn is not in rtcsim's PACKAGES"
sed -n '/^readonly PACKAGES=(/,/^)/p' "${RTCSIM}" | grep -qE '^[[:space:]]+python3-aiortc$' ||
  fail "python3-aiortc is not in rtcsim's PACKAGES"
[[ "${rc}" == 0 && "${out}" == *"all ${n_packages} Debian packages are installed"* ]] ||
  fail "setup with everything present: exit ${rc}: ${out}"
[[ ! -s "${fake}/apt_calls" ]] || fail "setup called apt-get with nothing missing: $(cat "${fake}/apt_calls")"

# apt-get install keeps failing: one update, one retry, then a clear failure.
printf 'tshark\n' >"${fake}/missing"
touch "${fake}/always_fail"
: >"${fake}/apt_calls"
run_setup
[[ "${rc}" != 0 ]] || fail "setup succeeded although apt-get install failed"
[[ "$(grep -c ' update$' "${fake}/apt_calls")" -le 1 ]] ||
  fail "apt-get update run more than once: $(cat "${fake}/apt_calls")"
grep -q 'apt-get install failed' "${tmp}/err" || fail "no clear error when apt-get fails"

if ((failures > 0)); then
  echo "${failures} check(s) failed" >&2
  exit 1
fi
echo "PASS"
