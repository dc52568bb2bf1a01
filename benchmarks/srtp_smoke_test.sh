#!/bin/bash
# Runs srtp_benchmark briefly and checks that it prints its comparison table
# with every row filled in: 2 profiles x RTP/RTCP x protect/unprotect x
# 160/1200-octet payloads = 16 rows, each with four rates and two ratios.
# Times are not checked: they depend on the machine.
set -euo pipefail
binary="$1"
out="$("${binary}" --benchmark_min_time=0.01 2>&1)" || {
  echo "${out}"
  echo "FAIL: ${binary} exited with an error"
  exit 1
}
echo "${out}"
fail() {
  echo "FAIL: $*"
  exit 1
}
grep -q "ERROR OCCURRED" <<<"${out}" && fail "a benchmark reported an error"
grep -q "^SRTP packets per CPU second" <<<"${out}" || fail "no table header"
rows="$(grep -E '^\| (AES_CM_128_HMAC_SHA1_80|AEAD_AES_128_GCM) +\| (RTP|RTCP) +\| (protect|unprotect) +\| +(160|1200) \|' <<<"${out}" || true)"
count="$(grep -c . <<<"${rows}" || true)"
((count == 16)) || fail "expected 16 table rows, found ${count}"
if grep -q "n/a" <<<"${rows}"; then
  fail "a table cell is missing (n/a)"
fi
# Each row: four rates (k or M) and two ratios (x).
bad="$(grep -vE '(\| +[0-9.]+ [kM] ){4}(\| +[0-9.]+x ){2}\|$' <<<"${rows}" || true)"
[[ -z "${bad}" ]] || fail "malformed rows:
${bad}"
for profile in AES_CM_128_HMAC_SHA1_80 AEAD_AES_128_GCM; do
  for pkt in RTP RTCP; do
    for op in protect unprotect; do
      for size in 160 1200; do
        grep -qE "^\| ${profile} +\| ${pkt} +\| ${op} +\| +${size} \|" <<<"${rows}" ||
          fail "missing row ${profile} ${pkt} ${op} ${size}"
      done
    done
  done
done
echo "PASS: 16 rows"
