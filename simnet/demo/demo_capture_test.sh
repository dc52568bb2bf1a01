#!/usr/bin/env bash
# The demo binary twice with one seed gives one trace hash and identical
# captures; another seed gives another hash; tshark decodes every packet of
# every capture as UDP with good checksums and no expert warnings.
set -euo pipefail

demo="$(dirname "$0")/demo"
[ -x "$demo" ] || demo="$TEST_SRCDIR/$TEST_WORKSPACE/simnet/demo/demo"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fail() { echo "FAIL: $*" >&2; exit 1; }

hash_of() { sed -n 's/.*"trace_hash": "\([0-9a-f]*\)".*/\1/p' "$1/summary.json"; }

"$demo" --out "$tmp/a" --seed 7 --duration_s 15 > "$tmp/a.txt"
"$demo" --out "$tmp/b" --seed 7 --duration_s 15 > /dev/null
"$demo" --out "$tmp/c" --seed 8 --duration_s 15 > /dev/null
ha=$(hash_of "$tmp/a"); hb=$(hash_of "$tmp/b"); hc=$(hash_of "$tmp/c")
[ -n "$ha" ] || fail "no trace_hash in summary.json"
[ "$ha" = "$hb" ] || fail "same seed, different hashes: $ha vs $hb"
[ "$ha" != "$hc" ] || fail "different seeds, same hash $ha"
grep -q "trace hash $ha" "$tmp/a.txt" || fail "printed summary lacks the trace hash"
for f in "$tmp"/a/*.pcapng; do
  cmp -s "$f" "$tmp/b/$(basename "$f")" || fail "$(basename "$f") differs between identical runs"
done

# Bad flags are refused with a message, not ignored.
if "$demo" --duration_s=-1 --out "$tmp/x" 2> "$tmp/err"; then fail "negative duration accepted"; fi
grep -q "duration_s" "$tmp/err" || fail "no message naming --duration_s"
if "$demo" --no_such_flag 2> /dev/null; then fail "unknown flag accepted"; fi

command -v tshark > /dev/null || fail "tshark is not installed: run ./rtcsim setup"
export HOME="$tmp" XDG_CONFIG_HOME="$tmp"
ncaps=0
for f in "$tmp"/a/*.pcapng; do
  ncaps=$((ncaps + 1))
  name=$(basename "$f")
  # One line per frame: UDP checksum status (1 = good), IPv4 header checksum
  # status, expert severity, malformed marker.
  tshark -r "$f" -o udp.check_checksum:TRUE -o ip.check_checksum:TRUE -T fields \
    -E separator=, -e frame.number -e udp.checksum.status -e ip.checksum.status \
    -e _ws.expert.severity -e _ws.malformed > "$tmp/fields" 2> "$tmp/tshark.err" ||
    fail "tshark could not read $name: $(cat "$tmp/tshark.err")"
  frames=$(wc -l < "$tmp/fields")
  [ "$frames" -gt 100 ] || fail "$name: only $frames frames"
  bad=$(grep -vcE '^[0-9]+,1,1,,$' "$tmp/fields" || true)
  [ "$bad" -eq 0 ] || fail "$name: $bad frames not cleanly decoded, e.g. $(grep -vE '^[0-9]+,1,1,,$' "$tmp/fields" | head -3 | tr '\n' ' ')"
  udp=$(tshark -r "$f" -Y udp 2> /dev/null | wc -l)
  [ "$udp" -eq "$frames" ] || fail "$name: $udp of $frames frames decode as UDP"
  echo "$name: $frames frames, all UDP with good checksums, no expert info"
done
[ "$ncaps" -eq 9 ] || fail "expected 9 captures, found $ncaps"
grep -q '"traceEvents"' "$tmp/a/trace.json" || fail "trace.json is not a Chrome trace"
echo PASS
