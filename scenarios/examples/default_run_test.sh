#!/usr/bin/env bash
# `rtcsim_scenario run` on the default scenario (what ./rtcsim demo runs):
# the same seed twice gives one trace hash and byte-identical captures and
# trace; another seed another hash; the summary and every output file are
# there; tshark decodes the capture, and with the DTLS key log (only then)
# it reads the SCTP packets inside DTLS; bad flags and files are refused with a message.
set -euo pipefail

runner="$1"
scenario="$2"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fail() { echo "FAIL: $*" >&2; exit 1; }

hash_of() { sed -n 's/.*"trace_hash":"\([0-9a-f]*\)".*/\1/p' "$1/summary.json"; }
run() { "$runner" run "$scenario" --out "$tmp/$1" --seed "$2" > "$tmp/$1.txt" 2> "$tmp/$1.err"; }

run a 7 || { cat "$tmp/a.txt" "$tmp/a.err"; fail "run failed"; }
run b 7 || fail "second run failed"
run c 8 || { cat "$tmp/c.txt"; fail "run with seed 8 failed"; }
ha=$(hash_of "$tmp/a"); hb=$(hash_of "$tmp/b"); hc=$(hash_of "$tmp/c")
[ -n "$ha" ] || fail "no trace_hash in summary.json"
[ "$ha" = "$hb" ] || fail "same seed, different hashes: $ha vs $hb"
[ "$ha" != "$hc" ] || fail "different seeds, same hash $ha"
for f in "$tmp"/a/*.pcapng "$tmp/a/trace.json" "$tmp/a/metrics.csv" "$tmp/a/dtls-keylog.txt"; do
  cmp -s "$f" "$tmp/b/$(basename "$f")" || fail "$(basename "$f") differs between identical runs"
done
for want in "scenario default — seed 7 — PASS" "alice (alice→bob)" "srflx 203.0.113.10" \
  "PASS every peer: connected within 1500 ms" "trace hash $ha" "outputs in $tmp/a/"; do
  grep -qF "$want" "$tmp/a.txt" || { cat "$tmp/a.txt"; fail "summary lacks \"$want\""; }
done
grep -q "calls connected" "$tmp/a.err" || fail "no progress lines on stderr"
for f in alice.pcapng bob.pcapng stun.pcapng turn.pcapng dtls-keylog.txt trace.json metrics.csv \
  metrics.json summary.json report.html; do
  [ -s "$tmp/a/$f" ] || fail "missing output $f"
done
grep -q '"passed":true' "$tmp/a/summary.json" || fail "summary.json does not say passed"
grep -q '^throughput_kbps,' "$tmp/a/metrics.csv" || fail "metrics.csv lacks throughput"
grep -q '"traceEvents"' "$tmp/a/trace.json" || fail "trace.json is not Chrome trace-event JSON"
grep -q 'connectionState: connected' "$tmp/a/trace.json" || fail "trace lacks state changes"
grep -q 'id="plot-throughput"' "$tmp/a/report.html" || fail "report.html lacks the plots"

# Bad input is refused with exit 2 and a message naming it.
expect_refused() {
  local want="$1"
  shift
  local rc=0
  "$runner" "$@" > /dev/null 2> "$tmp/err" || rc=$?
  [ "$rc" = 2 ] || fail "$* exited $rc, want 2"
  grep -qF -- "$want" "$tmp/err" || { cat "$tmp/err"; fail "$*: no message \"$want\""; }
}
expect_refused "--seed must be a non-negative integer" run "$scenario" --seed=abc
expect_refused "--duration must be a positive duration" run "$scenario" --duration=-1s
expect_refused "cannot open the scenario file" run "$tmp/none.textproto"
expect_refused "unknown verb" fly "$scenario"
printf 'name: "x"\ntopology { hots {} }\n' > "$tmp/bad.textproto"
expect_refused "bad.textproto:2:17: Message type \"rtcsim.scenario.Topology\" has no field named \"hots\"" \
  run "$tmp/bad.textproto"

command -v tshark > /dev/null || fail "tshark is not installed: run ./rtcsim setup"
export HOME="$tmp" XDG_CONFIG_HOME="$tmp"
stun=$(tshark -r "$tmp/a/alice.pcapng" -Y stun 2> /dev/null | wc -l)
dtls=$(tshark -r "$tmp/a/alice.pcapng" -Y dtls 2> /dev/null | wc -l)
# Decrypted DTLS records that are SCTP packets (both ports 5000, RFC 8841):
# Wireshark 4.0 shows them as data, not SCTP, but only with the key log.
sctp_filter='data.data[0:4] == 13:88:13:88'
sctp=$(tshark -r "$tmp/a/alice.pcapng" -o "tls.keylog_file:$tmp/a/dtls-keylog.txt" -Y "$sctp_filter" 2> /dev/null | wc -l)
opaque=$(tshark -r "$tmp/a/alice.pcapng" -Y "$sctp_filter" 2> /dev/null | wc -l)
[ "$stun" -gt 0 ] || fail "no STUN in alice.pcapng"
[ "$dtls" -gt 100 ] || fail "only $dtls DTLS frames in alice.pcapng"
[ "$sctp" -gt 100 ] || fail "only $sctp SCTP packets decrypted with dtls-keylog.txt"
[ "$opaque" = 0 ] || fail "$opaque SCTP packets readable without the key log"
echo "PASS: hash $ha; alice.pcapng: $stun STUN, $dtls DTLS, $sctp SCTP frames decrypted with the key log"
