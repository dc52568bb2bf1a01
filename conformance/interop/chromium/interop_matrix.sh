#!/bin/bash
# Runs the WHIP peers against each other inside a fresh loopback-only network
# namespace and prints one line per combination: verdict, the exit codes of
# the offerer (--whip-url) and the answerer (--whip-listen), the offerer's
# wall time (start to exit, Chromium start-up included when it is the offerer)
# and both result lines. Needs root (unshare --net).
#
#   conformance/interop/chromium/interop_matrix.sh [OUT_DIR]
#
# OUT_DIR (default: a temp dir) keeps every run's stdout/stderr.
# PAIRS="c2a a2c" limits the directions (c2a a2c c2c a2a a2c_rev c2a_rev);
# CASES="ordered unordered" limits the message cases.
# AIORTC_ARGS="--max-message-size 262144" goes to every aiortc peer.
set -u
if [[ -z "${RTCSIM_IN_NETNS:-}" ]]; then
  exec unshare --net env RTCSIM_IN_NETNS=1 "$0" "$@"
fi
ip link set lo up

HERE="$(cd "$(dirname "$0")" && pwd)"
A="/usr/bin/python3 ${HERE}/../aiortc/aiortc_whip_peer.py ${AIORTC_ARGS:-}"
C="/usr/bin/python3 ${HERE}/chromium_peer.py"
OUT="${1:-$(mktemp -d /tmp/whip-matrix.XXXXXX)}"
mkdir -p "${OUT}"

declare -A CASE_ARGS=(
  [ordered]="--send 100"
  [unordered]="--send 100 --unordered"
  [binary]="--send 100 --binary"
  [unordered_binary]="--send 100 --unordered --binary"
  [200k]="--send 1 --size 204800"
  [200k_binary]="--send 1 --size 204800 --binary"
  [1000x1k]="--send 1000 --size 1024"
)
CASES="${CASES:-ordered unordered binary unordered_binary 200k 200k_binary 1000x1k}"
# name: listener command | sender command ("SEND" = the case's sending args).
# c2a: Chromium offers and sends, aiortc answers and echoes; a2c the reverse.
# *_rev: the answerer (--whip-listen) sends and the offerer echoes.
declare -A PAIR_CMDS=(
  [c2a]="$A --echo|$C"
  [a2c]="$C --echo|$A"
  [c2c]="$C --echo|$C"
  [a2a]="$A --echo|$A"
  [c2a_rev]="$A SEND|$C --echo"
  [a2c_rev]="$C SEND|$A --echo"
)
PAIRS="${PAIRS:-c2a a2c}"

for pair in ${PAIRS}; do
  for case in ${CASES}; do
    cmds="${PAIR_CMDS[$pair]}"
    listen="${cmds%%|*}"
    send="${cmds#*|}"
    args="${CASE_ARGS[$case]}"
    if [[ "${listen}" == *SEND* ]]; then
      listen="${listen/SEND/${args}}"
    else
      send="${send} ${args}"
    fi
    name="${pair}_${case}"
    ${listen} --whip-listen 127.0.0.1:0 --timeout 40 \
      >"${OUT}/${name}.listen.out" 2>"${OUT}/${name}.listen.err" &
    lpid=$!
    url=""
    for _ in $(seq 1 100); do
      url="$(grep -o 'http://[^"]*/whip' "${OUT}/${name}.listen.out" 2>/dev/null | head -1)"
      [[ -n "${url}" ]] && break
      sleep 0.1
    done
    start=$(date +%s%N)
    ${send} --whip-url "${url}" --timeout 30 \
      >"${OUT}/${name}.send.out" 2>"${OUT}/${name}.send.err"
    src=$?
    end=$(date +%s%N)
    wait "${lpid}"
    lrc=$?
    verdict=FAIL
    ((src == 0 && lrc == 0)) && verdict=PASS
    printf '%-4s %-26s offerer=%d answerer=%d %5d ms  offerer: %s | answerer: %s\n' \
      "${verdict}" "${name}" "${src}" "${lrc}" $(((end - start) / 1000000)) \
      "$(grep '"result"' "${OUT}/${name}.send.out" | cut -c1-200)" \
      "$(grep '"result"' "${OUT}/${name}.listen.out" | cut -c1-200)"
  done
done
echo "outputs in ${OUT}"
