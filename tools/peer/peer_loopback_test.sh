#!/bin/bash
# rtcsim_peer against itself over loopback: one --whip-listen 127.0.0.1:0
# --echo answerer and one --whip-url --send offerer per case (ordered,
# unordered, binary, partially reliable, one 200 KiB message, the sender on
# the answering side), asserting both exit codes and result lines; then the
# command-line errors (exit 2, the flag named, usage on stderr) and a
# signalling failure (nothing listening: exit 1 with an error result).
#
# Hermetic: only 127.0.0.1 (--bind), port 0 for HTTP, every run bounded by
# --timeout. Usage: peer_loopback_test.sh PATH_TO_rtcsim_peer
set -euo pipefail

PEER="$1"
[[ -x "${PEER}" ]] || { echo "not executable: ${PEER}" >&2; exit 1; }
WORK="${TEST_TMPDIR:-$(mktemp -d)}"
TIMEOUT=20
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# The value of "key" in the last line with "event":"NAME" of FILE (python3
# parses the JSON; every stdout line must be a JSON object).
json_field() {
  python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
path, event, key = sys.argv[1:]
value = None
for n, line in enumerate(open(path), 1):
    try:
        obj = json.loads(line)
    except ValueError as e:
        sys.exit(f"{path}:{n}: not JSON: {e}: {line[:120]!r}")
    if not isinstance(obj, dict) or "event" not in obj:
        sys.exit(f"{path}:{n}: not an event object")
    if obj["event"] == event:
        value = obj.get(key)
print(json.dumps(value))
EOF
}

# Waits for the "listening" line of FILE and prints its URL.
listening_url() {
  local file="$1" pid="$2" i
  for i in $(seq 1 200); do
    if grep -q '"event":"listening"' "${file}" 2>/dev/null; then
      grep -m1 '"event":"listening"' "${file}" | sed 's/.*"url":"\([^"]*\)".*/\1/'
      return 0
    fi
    kill -0 "${pid}" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

expect_eq() {
  local what="$1" got="$2" want="$3"
  [[ "${got}" == "${want}" ]] || fail "${what}: got ${got}, want ${want}"
}

# run_pair NAME "LISTENER FLAGS" "OFFERER FLAGS" SENDER(offerer|listener) N SIZE
run_pair() {
  local name="$1" listen_flags="$2" offer_flags="$3" sender="$4" n="$5" size="$6"
  local dir="${WORK}/${name}"
  mkdir -p "${dir}"
  echo "=== ${name}: listener [${listen_flags}] <- offerer [${offer_flags}]"
  # shellcheck disable=SC2086  # flag lists split on purpose
  "${PEER}" --whip-listen 127.0.0.1:0 --bind 127.0.0.1 --timeout "${TIMEOUT}" ${listen_flags} \
    >"${dir}/listener.out" 2>"${dir}/listener.err" &
  local listener_pid=$!
  local url
  if ! url="$(listening_url "${dir}/listener.out" "${listener_pid}")"; then
    fail "${name}: the listener never printed its URL"
    cat "${dir}/listener.err" >&2
    kill "${listener_pid}" 2>/dev/null || true
    wait "${listener_pid}" || true
    return
  fi
  local offer_rc=0 listen_rc=0
  # shellcheck disable=SC2086
  "${PEER}" --whip-url "${url}" --bind 127.0.0.1 --timeout "${TIMEOUT}" ${offer_flags} \
    >"${dir}/offerer.out" 2>"${dir}/offerer.err" || offer_rc=$?
  wait "${listener_pid}" || listen_rc=$?

  local before=${failures}
  expect_eq "${name}: offerer exit code" "${offer_rc}" 0
  expect_eq "${name}: listener exit code" "${listen_rc}" 0
  local role
  for role in offerer listener; do
    local out="${dir}/${role}.out"
    expect_eq "${name}: ${role} ok" "$(json_field "${out}" result ok)" true
    local pair
    pair="$(json_field "${out}" result selected_pair)"
    [[ "${pair}" =~ ^\"host\ 127\.0\.0\.1:[0-9]+\ \<-\>\ host\ 127\.0\.0\.1:[0-9]+\"$ ]] ||
      fail "${name}: ${role} selected_pair ${pair}"
    [[ "$(json_field "${out}" stats report)" == *'"candidate-pair"'* ]] ||
      fail "${name}: ${role} has no stats report with a candidate-pair"
    grep -q '"event":"connection","state":"connected"' "${out}" ||
      fail "${name}: ${role} never reported connection connected"
  done
  local send_out echo_out
  if [[ "${sender}" == offerer ]]; then
    send_out="${dir}/offerer.out"
    echo_out="${dir}/listener.out"
  else
    send_out="${dir}/listener.out"
    echo_out="${dir}/offerer.out"
  fi
  expect_eq "${name}: sender sent" "$(json_field "${send_out}" result sent)" "${n}"
  expect_eq "${name}: sender echoes verified" "$(json_field "${send_out}" result echoed)" "${n}"
  expect_eq "${name}: sender received" "$(json_field "${send_out}" result received)" "${n}"
  expect_eq "${name}: sender bytes" "$(json_field "${send_out}" result bytes)" "$((n * size))"
  expect_eq "${name}: sender channel closed" "$(json_field "${send_out}" result channel_closed)" true
  expect_eq "${name}: echo side echoed" "$(json_field "${echo_out}" result echoed)" "${n}"
  expect_eq "${name}: echo side bytes" "$(json_field "${echo_out}" result bytes)" "$((n * size))"
  grep -q '"event":"channel_close","label":"test"' "${echo_out}" ||
    fail "${name}: the echo side never saw channel \"test\" close"
  if ((failures > before)); then
    for role in offerer listener; do
      echo "--- ${name} ${role} stdout (no SDP/stats):" >&2
      grep -v '"sdp"\|"event":"stats"' "${dir}/${role}.out" >&2 || true
      echo "--- ${name} ${role} stderr:" >&2
      cat "${dir}/${role}.err" >&2
    done
  fi
}

run_pair ordered "--echo" "--send 100" offerer 100 100
run_pair unordered "--echo --expect 100" "--send 100 --unordered" offerer 100 100
run_pair binary "--echo" "--send 100 --binary --size 1000" offerer 100 1000
run_pair max_retransmits "--echo" "--send 100 --unordered --max-retransmits 0" offerer 100 100
run_pair large "--echo" "--send 1 --size 204800" offerer 1 204800
run_pair large_binary "--echo" "--send 1 --size 204800 --binary" offerer 1 204800
# The answerer opens the channel and sends; the offerer echoes.
run_pair listener_sends "--send 100" "--echo" listener 100 100

# --- command-line errors: exit 2, the flag named, usage on stderr ----------
check_usage_error() {
  local want="$1"
  shift
  local rc=0 out err
  out="$("${PEER}" "$@" 2>"${WORK}/usage.err")" || rc=$?
  err="$(cat "${WORK}/usage.err")"
  expect_eq "rtcsim_peer $* exit code" "${rc}" 2
  [[ -z "${out}" ]] || fail "rtcsim_peer $*: printed on stdout: ${out}"
  [[ "${err}" == *"${want}"* ]] || fail "rtcsim_peer $*: stderr lacks '${want}': ${err}"
  [[ "${err}" == *"usage: rtcsim_peer"* ]] || fail "rtcsim_peer $*: no usage on stderr"
}
check_usage_error "--whip-listen or --whip-url is required"
check_usage_error "unknown flag '--bogus'" --whip-listen 127.0.0.1:0 --bogus
check_usage_error "--send: expected a message count" --whip-url http://127.0.0.1:1/whip --send x
check_usage_error "--size: expected a size" --whip-url http://127.0.0.1:1/whip --send 1 --size 0
check_usage_error "--whip-listen: expected HOST:PORT" --whip-listen nowhere
check_usage_error "--relay-only: needs a TURN server" --whip-url http://127.0.0.1:1/whip --relay-only

help_out="$("${PEER}" --help)" || fail "--help exit code $?"
[[ "${help_out}" == *"--whip-listen HOST:PORT"* ]] || fail "--help: no usage on stdout"

# --- nothing listening: exit 1 and an error result ---------------------------
# A port that was free a moment ago (bound and released by python3).
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
rc=0
"${PEER}" --whip-url "http://127.0.0.1:${port}/whip" --send 1 --bind 127.0.0.1 --timeout 10 \
  >"${WORK}/refused.out" 2>"${WORK}/refused.err" || rc=$?
expect_eq "refused: exit code" "${rc}" 1
expect_eq "refused: ok" "$(json_field "${WORK}/refused.out" result ok)" false
[[ "$(json_field "${WORK}/refused.out" result error)" == *"WHIP POST failed"* ]] ||
  fail "refused: error $(json_field "${WORK}/refused.out" result error)"

if ((failures > 0)); then
  echo "${failures} check(s) failed" >&2
  exit 1
fi
echo "all checks passed"
