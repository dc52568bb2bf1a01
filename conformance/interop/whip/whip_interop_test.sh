#!/bin/bash
# rtcsim_peer (our PeerConnection over real UDP, WHIP signalling) against a
# real WebRTC implementation: aiortc 1.4 (Debian python3-aiortc) or headless
# Chromium (Debian chromium), data channels only.
#
#   whip_interop_test.sh aiortc|chromium RTCSIM_PEER THEIR_PEER_SCRIPT...
#
# (THEIR_PEER_SCRIPT...: the peer's files; the one ending in .py is run.)
#
# Every case is one --whip-listen answerer and one --whip-url offerer, run
# one after the other inside ONE loopback-only network namespace (the script
# re-execs itself under `unshare --net` and brings lo up: outside it Chromium
# also gathers on other interfaces, see ../chromium/README.md). Cases:
#
#   offer direction  ours_offers (rtcsim_peer --whip-url -> theirs --whip-listen)
#                    theirs_offers (theirs --whip-url -> rtcsim_peer --whip-listen)
#   sender           the offerer sends and the answerer echoes, or the reverse,
#                    so data flows both ways in both offer directions
#   messages         ordered (--send 100), unordered (--send 100 --unordered),
#                    200k (--send 1 --size 204800)
#
# Each case asserts both exit codes, both result lines (ok; the sender's
# sent/received/bytes/missing, the echo side's echoed/received/bytes), that
# the echo side saw channel "test" open with the right ordered flag and then
# close (channel_close), that the sender's close completed (rtcsim_peer's
# result says channel_closed; the other peers are ok only when their close
# completed, and log channel_close), and that rtcsim_peer selected a
# 127.0.0.1 <-> 127.0.0.1 pair. A table of cases with timings closes the log.
#
# aiortc specifics:
#  - it advertises a=max-message-size:65536 and rtcsim_peer honours the
#    peer's limit (RFC 8841 §6.1), so the 200k cases run aiortc with
#    --max-message-size 262144 --sctp-sdp rfc8841;
#  - as offerer it uses the pre-RFC 8841 SDP form by default
#    (m=application P DTLS/SCTP 5000 + a=sctpmap), which stack/jsep accepts
#    (answering in the same form): the matrix keeps that default for the
#    ordered/unordered cases, and two extra cases (*_rfc8841) run its
#    RFC 8841 offer. The offer's form is asserted in every case.
#  - aiortc 1.4 reads application data that shares a datagram with the
#    DTLS Finished only after the next datagram arrives. rtcsim once sent its
#    first SCTP INIT that way and the ours_offer cases waited 3 s for the
#    INIT retransmission; DtlsTransport now sends the final flight on its own
#    (stack/dtls/dtls_transport.cc, OnHandshakeComplete), and these cases take
#    as long as the others.
#
# Fails (never skips) when unshare, /usr/bin/python3 + aiortc or
# /usr/bin/chromium ($CHROMIUM if set) is missing, naming the package. Needs root (unshare).
# Outputs (both peers' stdout/stderr per case, SDPs included) are kept in
# $TEST_UNDECLARED_OUTPUTS_DIR when set. CASES="regex" limits the cases run.
set -uo pipefail

REMOTE="${1:-}"
PEER="${2:-}"
shift 2 || true
THEIR_SCRIPT=""
for f in "$@"; do
  [[ "${f}" == *.py ]] && THEIR_SCRIPT="${f}"
done

die() {
  echo "FAIL: $*" >&2
  exit 1
}

case "${REMOTE}" in
  aiortc | chromium) ;;
  *) die "usage: $0 aiortc|chromium RTCSIM_PEER THEIR_PEER_SCRIPT..." ;;
esac
[[ -x "${PEER}" ]] || die "rtcsim_peer not executable: '${PEER}'"
[[ -f "${THEIR_SCRIPT}" ]] || die "no ${REMOTE} peer script (*.py) among: $*"
# Absolute paths: they must survive the re-exec and any cd.
PEER="$(cd "$(dirname "${PEER}")" && pwd)/$(basename "${PEER}")"
THEIR_SCRIPT="$(cd "$(dirname "${THEIR_SCRIPT}")" && pwd)/$(basename "${THEIR_SCRIPT}")"

# --- prerequisites: fail naming the package, never skip ---------------------
PY=/usr/bin/python3
[[ -x "${PY}" ]] || die "/usr/bin/python3 is missing: apt-get install python3 (or ./rtcsim setup)"
if [[ "${REMOTE}" == aiortc ]]; then
  "${PY}" -c 'import aiortc' 2>/dev/null ||
    die "aiortc is not importable by /usr/bin/python3: apt-get install python3-aiortc (or ./rtcsim setup)"
else
  # chromium_peer.py runs $CHROMIUM when set, else /usr/bin/chromium.
  [[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] ||
    die "${CHROMIUM:-/usr/bin/chromium} is missing: apt-get install chromium (or ./rtcsim setup)"
fi
IP="$(PATH="${PATH}:/usr/sbin:/sbin" command -v ip)" ||
  die "'ip' is missing: apt-get install iproute2"

# --- one loopback-only network namespace for every party --------------------
if [[ -z "${RTCSIM_WHIP_NETNS:-}" ]]; then
  command -v unshare >/dev/null || die "'unshare' is missing: apt-get install util-linux"
  unshare --net true 2>/dev/null ||
    die "'unshare --net' fails (uid $(id -u)): this test needs root or CAP_SYS_ADMIN to make a loopback-only network namespace"
  exec unshare --net env RTCSIM_WHIP_NETNS=1 "$0" "${REMOTE}" "${PEER}" "${THEIR_SCRIPT}"
fi
"${IP}" link set lo up || die "'ip link set lo up' failed in the namespace"
others="$("${IP}" -o link show | awk -F': ' '$2 != "lo" {print $2}')"
[[ -z "${others}" ]] || die "not a loopback-only namespace: other links: ${others}"

WORK="${TEST_TMPDIR:-$(mktemp -d /tmp/whip-interop.XXXXXX)}/whip_${REMOTE}"
OUT="${WORK}"
[[ -n "${TEST_UNDECLARED_OUTPUTS_DIR:-}" ]] && OUT="${TEST_UNDECLARED_OUTPUTS_DIR}/whip_${REMOTE}"
mkdir -p "${WORK}" "${OUT}"
export HOME="${HOME:-${WORK}}" TMPDIR="${TMPDIR:-${WORK}}"

THEIRS="${PY} ${THEIR_SCRIPT}"
OURS="${PEER} --bind 127.0.0.1"
OFFER_TIMEOUT=20
LISTEN_TIMEOUT=30

# Checks one case's outputs; prints one line per failed check (nothing when
# all hold). Every stdout line must be a JSON object with an "event".
check_outputs() {
  "${PY}" - "$@" <<'EOF'
import json, re, sys

(send_out, send_kind, echo_out, echo_kind, n, size, ordered, ours_out, offer_out,
 sdp_form) = sys.argv[1:]
n, size, ordered = int(n), int(size), ordered == "1"
problems = []

def load(path, who):
    events = []
    for no, line in enumerate(open(path, errors="replace"), 1):
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            problems.append(f"{who} stdout line {no} is not JSON ({e}): {line[:120]!r}")
            continue
        if not isinstance(obj, dict) or "event" not in obj:
            problems.append(f"{who} stdout line {no} is not an event object")
            continue
        events.append(obj)
    return events

def result(events, who):
    results = [e for e in events if e["event"] == "result"]
    if not results:
        problems.append(f"{who}: no result line")
        return {}
    return results[-1]

def expect(who, res, key, want):
    got = res.get(key)
    if got != want:
        problems.append(f"{who}: result {key} = {json.dumps(got)}, want {json.dumps(want)}")

sender = load(send_out, f"sender ({send_kind})")
echoer = load(echo_out, f"echo side ({echo_kind})")
sres = result(sender, f"sender ({send_kind})")
eres = result(echoer, f"echo side ({echo_kind})")
sw, ew = f"sender ({send_kind})", f"echo side ({echo_kind})"

if sres:
    expect(sw, sres, "ok", True)
    expect(sw, sres, "sent", n)
    expect(sw, sres, "received", n)
    expect(sw, sres, "bytes", n * size)
    expect(sw, sres, "missing", 0)
    if send_kind == "rtcsim":
        expect(sw, sres, "echoed", n)
        expect(sw, sres, "channel_closed", True)
if eres:
    expect(ew, eres, "ok", True)
    expect(ew, eres, "echoed", n)
    expect(ew, eres, "received", n)
    expect(ew, eres, "bytes", n * size)
    expect(ew, eres, "channel_closed", True)

opens = [e for e in echoer if e["event"] == "channel_open" and e.get("label") == "test"]
if not opens:
    problems.append(f"{ew}: no channel_open for 'test'")
elif opens[0].get("ordered") is not ordered:
    problems.append(f"{ew}: channel 'test' opened with ordered={opens[0].get('ordered')}, "
                    f"want {ordered}")
if not any(e["event"] == "channel_close" and e.get("label") == "test" for e in echoer):
    problems.append(f"{ew}: never logged channel_close for 'test'")
if not any(e["event"] == "channel_close" and e.get("label") == "test" for e in sender):
    problems.append(f"{sw}: never logged channel_close for 'test' (its close did not complete)")

ours = load(ours_out, "rtcsim_peer") if ours_out not in (send_out, echo_out) else (
    sender if ours_out == send_out else echoer)
ores = result(ours, "rtcsim_peer")
pair = ores.get("selected_pair") or ""
if ores and not re.fullmatch(r"host 127\.0\.0\.1:\d+ <-> host 127\.0\.0\.1:\d+", pair):
    problems.append(f"rtcsim_peer: selected_pair {json.dumps(ores.get('selected_pair'))}, "
                    "want host 127.0.0.1 <-> host 127.0.0.1")

# The form of the offer's data m-line: RFC 8841 or the legacy (pre-RFC 8841,
# draft-ietf-mmusic-sctp-sdp-05) one.
if sdp_form:
    offers = [e.get("sdp", "") for e in load(offer_out, "offerer")
              if e["event"] == "local_description" and e.get("type") == "offer"]
    mline = next((l for l in (offers[0] if offers else "").split("\r\n")
                  if l.startswith("m=application")), None)
    want = {"legacy": r"m=application \d+ DTLS/SCTP 5000",
            "rfc8841": r"m=application \d+ UDP/DTLS/SCTP webrtc-datachannel"}[sdp_form]
    if mline is None or not re.fullmatch(want, mline):
        problems.append(f"offer m-line {mline!r} is not the {sdp_form} form")
    if sdp_form == "legacy" and "a=sctpmap:5000 webrtc-datachannel" not in (offers or [""])[0]:
        problems.append("legacy offer without a=sctpmap:5000 webrtc-datachannel")

for p in problems:
    print(p)
EOF
}

# The URL of the "listening" line of FILE, once written by PID.
listening_url() {
  local file="$1" pid="$2" i
  for i in $(seq 1 300); do
    if grep -q '"event": *"listening"' "${file}" 2>/dev/null; then
      grep -m1 '"event": *"listening"' "${file}" | sed 's/.*"url": *"\([^"]*\)".*/\1/'
      return 0
    fi
    kill -0 "${pid}" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# A one-line summary of FILE's result line (or "no result").
result_summary() {
  "${PY}" - "$1" <<'EOF'
import json, sys
res = None
for line in open(sys.argv[1], errors="replace"):
    try:
        obj = json.loads(line)
    except ValueError:
        continue
    if isinstance(obj, dict) and obj.get("event") == "result":
        res = obj
if res is None:
    print("no result")
else:
    keep = ("ok", "sent", "received", "echoed", "bytes", "missing", "channel_closed", "error")
    print(" ".join(f"{k}={json.dumps(res[k])}" for k in keep if k in res))
EOF
}

# Prints a failed case's evidence: every stdout line (SDPs included, stats
# left out) and the stderr tail of both peers.
dump_case() {
  local dir="$1" role
  for role in offerer answerer; do
    echo "----- ${role} stdout (stats lines left out):" >&2
    grep -v '"event": *"stats"' "${dir}/${role}.out" >&2 || true
    echo "----- ${role} stderr (last 40 lines):" >&2
    tail -n 40 "${dir}/${role}.err" >&2 || true
  done
}

TABLE=()
failures=0
cases_run=0

# run_case NAME OFFERER(ours|theirs) SENDER(offerer|answerer) N SIZE UNORDERED(0|1)
#          THEIR_EXTRA_ARGS NOTE [SDP_FORM(legacy|rfc8841): asserted for the offer]
run_case() {
  local name="$1" offerer="$2" sender="$3" n="$4" size="$5" unordered="$6"
  local their_extra="$7" note="$8" sdp_form="${9:-}"
  if [[ -n "${CASES:-}" && ! "${name}" =~ ${CASES} ]]; then return; fi
  cases_run=$((cases_run + 1))
  local dir="${OUT}/${name//\//_}"
  mkdir -p "${dir}"
  local send_args="--send ${n} --size ${size}"
  ((unordered)) && send_args+=" --unordered"
  local ours_role="--echo --expect ${n}" theirs_role="--echo"
  local send_kind echo_kind
  if [[ "${sender}" == offerer && "${offerer}" == ours ]] ||
    [[ "${sender}" == answerer && "${offerer}" == theirs ]]; then
    ours_role="${send_args}"
    send_kind=rtcsim
    echo_kind="${REMOTE}"
  else
    theirs_role="${send_args}"
    send_kind="${REMOTE}"
    echo_kind=rtcsim
  fi
  local listen_cmd offer_cmd
  if [[ "${offerer}" == ours ]]; then
    offer_cmd="${OURS} ${ours_role}"
    listen_cmd="${THEIRS} ${their_extra} ${theirs_role}"
  else
    offer_cmd="${THEIRS} ${their_extra} ${theirs_role}"
    listen_cmd="${OURS} ${ours_role}"
  fi
  echo "=== ${name}${note:+ (${note})}"
  local shown
  for shown in "answerer: ${listen_cmd} --whip-listen 127.0.0.1:0" "offerer:  ${offer_cmd} --whip-url URL"; do
    shown="${shown//${PEER}/rtcsim_peer}"
    echo "    ${shown//${THEIR_SCRIPT}/$(basename "${THEIR_SCRIPT}")}"
  done

  local t0 t1 t2 listen_rc=0 offer_rc=0 url
  t0=$(date +%s%N)
  # shellcheck disable=SC2086  # command lines split on purpose
  ${listen_cmd} --whip-listen 127.0.0.1:0 --timeout "${LISTEN_TIMEOUT}" \
    >"${dir}/answerer.out" 2>"${dir}/answerer.err" &
  local lpid=$!
  if ! url="$(listening_url "${dir}/answerer.out" "${lpid}")"; then
    kill "${lpid}" 2>/dev/null
    wait "${lpid}" 2>/dev/null
    failures=$((failures + 1))
    echo "FAIL ${name}: the answerer never printed a listening URL" >&2
    dump_case "${dir}"
    TABLE+=("$(printf '%-50s FAIL  %-8s %7s %7s  no listening URL' "${name}" "-" "-" "-")")
    return
  fi
  t1=$(date +%s%N)
  # shellcheck disable=SC2086
  ${offer_cmd} --whip-url "${url}" --timeout "${OFFER_TIMEOUT}" \
    >"${dir}/offerer.out" 2>"${dir}/offerer.err" || offer_rc=$?
  wait "${lpid}" || listen_rc=$?
  t2=$(date +%s%N)

  local send_out echo_out ours_out
  if [[ "${sender}" == offerer ]]; then
    send_out="${dir}/offerer.out" echo_out="${dir}/answerer.out"
  else
    send_out="${dir}/answerer.out" echo_out="${dir}/offerer.out"
  fi
  if [[ "${offerer}" == ours ]]; then ours_out="${dir}/offerer.out"; else ours_out="${dir}/answerer.out"; fi

  local problems
  problems="$(check_outputs "${send_out}" "${send_kind}" "${echo_out}" "${echo_kind}" \
    "${n}" "${size}" "$((1 - unordered))" "${ours_out}" "${dir}/offerer.out" "${sdp_form}")" ||
    problems+=$'\n'"the output checker itself failed"
  ((offer_rc == 0)) || problems="offerer exit code ${offer_rc}"$'\n'"${problems}"
  ((listen_rc == 0)) || problems="answerer exit code ${listen_rc}"$'\n'"${problems}"
  problems="$(sed '/^$/d' <<<"${problems}")"

  local verdict=PASS
  if [[ -n "${problems}" ]]; then
    verdict=FAIL
    failures=$((failures + 1))
    echo "FAIL ${name}:" >&2
    sed 's/^/    /' <<<"${problems}" >&2
    echo "    offerer result:  $(result_summary "${dir}/offerer.out")" >&2
    echo "    answerer result: $(result_summary "${dir}/answerer.out")" >&2
    dump_case "${dir}"
  else
    echo "    PASS  sender: $(result_summary "${send_out}")"
    echo "          echo:   $(result_summary "${echo_out}")"
  fi
  TABLE+=("$(printf '%-50s %-4s  rc=%d/%d  %5.2f s %5.2f s  %s' "${name}" "${verdict}" \
    "${offer_rc}" "${listen_rc}" "$(((t2 - t1) / 1000000))e-3" "$(((t2 - t0) / 1000000))e-3" \
    "${note}")")
}

# aiortc: its default offer is the legacy form (m=application P DTLS/SCTP 5000
# + a=sctpmap), which the matrix keeps; the 200k cases need
# --max-message-size 262144 (it advertises 65536 and rtcsim_peer honours
# that), given with --sctp-sdp rfc8841 as ../chromium/README.md does; two
# extra cases run its RFC 8841 offer with small messages. --sctp-sdp only
# changes aiortc's offers: its answers follow the offer's form.
LARGE_ARGS=""
LARGE_NOTE=""
if [[ "${REMOTE}" == aiortc ]]; then
  LARGE_ARGS="--max-message-size 262144 --sctp-sdp rfc8841"
  LARGE_NOTE="aiortc --max-message-size 262144 --sctp-sdp rfc8841"
fi
for offerer in ours theirs; do
  form=rfc8841  # rtcsim_peer's and Chromium's offers
  note=""
  if [[ "${offerer}" == theirs && "${REMOTE}" == aiortc ]]; then
    form=legacy
    note="aiortc's default legacy offer: DTLS/SCTP 5000 + a=sctpmap"
  fi
  large_form=rfc8841
  for sender in offerer answerer; do
    prefix="${offerer}_offer/${sender}_sends"
    run_case "${prefix}/ordered" "${offerer}" "${sender}" 100 100 0 "" "${note}" "${form}"
    run_case "${prefix}/unordered" "${offerer}" "${sender}" 100 100 1 "" "${note}" "${form}"
    run_case "${prefix}/200k" "${offerer}" "${sender}" 1 204800 0 "${LARGE_ARGS}" "${LARGE_NOTE}" \
      "${large_form}"
  done
done
if [[ "${REMOTE}" == aiortc ]]; then
  for sender in offerer answerer; do
    run_case "theirs_offer/${sender}_sends/ordered_rfc8841" theirs "${sender}" 100 100 0 \
      "--sctp-sdp rfc8841" "aiortc --sctp-sdp rfc8841" rfc8841
  done
fi

echo
echo "rtcsim_peer vs ${REMOTE}: ${cases_run} cases in one loopback-only namespace"
echo "(offerer time: offerer start to both exits; total: answerer start to both exits)"
printf '%-50s %-4s  %-8s %7s %7s  %s\n' "case" "" "rc o/a" "offerer" "total" "note"
for row in "${TABLE[@]}"; do echo "${row}"; done
echo "outputs: ${OUT}"
((cases_run > 0)) || die "no case matched CASES='${CASES:-}'"
if ((failures > 0)); then
  echo "${failures} of ${cases_run} case(s) failed" >&2
  exit 1
fi
echo "all ${cases_run} cases passed"
