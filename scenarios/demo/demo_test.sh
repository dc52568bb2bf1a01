#!/usr/bin/env bash
# The demo call twice with one seed gives one trace hash and identical
# captures; another seed another hash; the summary names what the issue
# asks for; tshark sees STUN and DTLS in the capture; bad flags are refused.
set -euo pipefail

demo="$(dirname "$0")/demo"
[ -x "$demo" ] || demo="$TEST_SRCDIR/$TEST_WORKSPACE/scenarios/demo/demo"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fail() { echo "FAIL: $*" >&2; exit 1; }

hash_of() { sed -n 's/.*"trace_hash":"\([0-9a-f]*\)".*/\1/p' "$1/summary.json"; }
run() { "$demo" --out "$tmp/$1" --seed "$2" --duration_s 20 --messages 1000 > "$tmp/$1.txt" 2> "$tmp/$1.err"; }

run a 7 || { cat "$tmp/a.txt" "$tmp/a.err"; fail "demo failed"; }
run b 7 || fail "second run failed"
run c 8 || fail "run with seed 8 failed"
ha=$(hash_of "$tmp/a"); hb=$(hash_of "$tmp/b"); hc=$(hash_of "$tmp/c")
[ -n "$ha" ] || fail "no trace_hash in summary.json"
[ "$ha" = "$hb" ] || fail "same seed, different hashes: $ha vs $hb"
[ "$ha" != "$hc" ] || fail "different seeds, same hash $ha"
for f in "$tmp"/a/*.pcapng; do
  cmp -s "$f" "$tmp/b/$(basename "$f")" || fail "$(basename "$f") differs between identical runs"
done
for want in "connect time (virtual)" "selected pair: srflx" "messages delivered" \
  "SCTP DATA retransmissions" "trace hash: $ha" "OK"; do
  grep -qF "$want" "$tmp/a.txt" || { cat "$tmp/a.txt"; fail "summary lacks \"$want\""; }
done
grep -q "pairs connected" "$tmp/a.err" || fail "no progress lines on stderr"
for f in a0.pcapng b0.pcapng trace.json summary.json stats-a0.json; do
  [ -s "$tmp/a/$f" ] || fail "missing output $f"
done
grep -q '"type":"candidate-pair"' "$tmp/a/stats-a0.json" || fail "stats lack candidate-pair"

# Bad flags are refused with a message naming the flag.
if "$demo" --duration_s=-1 --out "$tmp/x" 2> "$tmp/err"; then fail "negative duration accepted"; fi
grep -q "duration_s" "$tmp/err" || fail "no message naming --duration_s"
if "$demo" --loss=1.5 --out "$tmp/x" 2> "$tmp/err"; then fail "loss 1.5 accepted"; fi
grep -q "loss" "$tmp/err" || fail "no message naming loss"
if "$demo" --no_such_flag 2> /dev/null; then fail "unknown flag accepted"; fi

command -v tshark > /dev/null || fail "tshark is not installed: run ./rtcsim setup"
export HOME="$tmp" XDG_CONFIG_HOME="$tmp"
stun=$(tshark -r "$tmp/a/a0.pcapng" -Y stun 2> /dev/null | wc -l)
dtls=$(tshark -r "$tmp/a/a0.pcapng" -Y dtls 2> /dev/null | wc -l)
[ "$stun" -gt 0 ] || fail "no STUN in a0.pcapng"
[ "$dtls" -gt 100 ] || fail "only $dtls DTLS frames in a0.pcapng"
echo "PASS: hash $ha, $stun STUN and $dtls DTLS frames"
