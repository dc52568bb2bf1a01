#!/bin/bash
# Guard for the Env seam (../shared/DESIGN.md §3, §4): outside stack/realnet,
# code in stack/ must not read the OS clock, sleep, start threads, open OS
# sockets or read OS/unseeded randomness (nor use the std:: distributions,
# whose algorithms differ between standard libraries). Everything goes through
# an Env, so the same stack runs deterministically in simnet.
#
# Usage:
#   no_os_access_test.sh              self-test, then scan the workspace
#   no_os_access_test.sh --root DIR   scan DIR/stack only (no self-test)
#   no_os_access_test.sh --self-test  only prove that the scanner can fail
#
# Finding the sources: under `bazel test` this script is a runfiles symlink
# to the checked-in file, so `readlink -f` of it gives the real workspace, and
# the whole stack/ tree is scanned, including packages added later (a glob in
# //stack would stop at every subpackage's BUILD.bazel). The target is tagged
# "external" so Bazel never serves a cached pass after sources change.
#
# Comments are ignored (a line whose code part is clean passes), so docs may
# name these APIs; string literals are still scanned ("/dev/urandom").

set -euo pipefail

# label|extended regex (GNU grep -E). Word boundaries keep e.g. UdpSocket(,
# operand( and std::bind apart from the banned calls.
readonly BANNED=(
  'std::chrono::system_clock|\bsystem_clock\b'
  'std::chrono::steady_clock|\bsteady_clock\b'
  'std::chrono::high_resolution_clock|\bhigh_resolution_clock\b'
  'C++20 std::chrono clocks|\b(utc|tai|gps|file)_clock\b'
  'absl clock/sleep|\babsl::(Now|GetCurrentTimeNanos|SleepFor)\b'
  'absl::BitGen|\b(Insecure)?BitGen(Ref)?\b'
  'rand()|\brand(_r)?\('
  'srand()|\bsrand\('
  'std::random_device|\brandom_device\b'
  'std:: random engines|\b(mt19937(_64)?|default_random_engine|minstd_rand0?|ranlux(24|48)(_base)?|knuth_b)\b'
  'std::*_distribution|\bstd::[a-z_]+_distribution\b|\b(uniform_int|uniform_real|bernoulli|binomial|negative_binomial|geometric|poisson|exponential|gamma|weibull|extreme_value|normal|lognormal|chi_squared|cauchy|fisher_f|student_t|discrete|piecewise_constant|piecewise_linear)_distribution\b'
  'std::thread|\bstd::(thread|jthread|async)\b|\bpthread_create\b|\bthis_thread::'
  'sleep_for/sleep_until|\bsleep_(for|until)\b'
  'sleep()/usleep()/nanosleep()|\b(u|nano|clock_nano)?sleep\('
  'gettimeofday|\bgettimeofday\b'
  'clock_gettime|\bclock_gettime\b|\btimespec_get\b'
  'time(nullptr)|(^|[^.>[:alnum:]_])time\(\s*(nullptr|NULL|0|&)'
  'socket()|\bsocket\('
  'socket I/O calls|\b(sendto|recvfrom|sendmsg|recvmsg|sendmmsg|recvmmsg)\('
  'epoll|\bepoll_[a-z_]+'
  'timerfd/eventfd|\b(timerfd_[a-z_]+|eventfd|signalfd)\b'
  'DNS lookup|\b(getaddrinfo|gethostbyname)\b'
  'getrandom|\bgetrandom\b|\bgetentropy\b|\barc4random'
  '/dev/urandom|/dev/u?random'
  'OS-access header|#[[:space:]]*include[[:space:]]*<(thread|random|sys/epoll\.h|sys/timerfd\.h|sys/random\.h)>'
)

# Prints "path:line:code" for every line of the given files, with // and /* */
# comments blanked out and string/char literals kept (a "//" inside a string
# does not start a comment). Digit separators (1'000) are not quotes.
strip_comments() {
  awk '
    FNR == 1 { in_block = 0 }
    {
      line = $0; out = ""; n = length(line); i = 1; quote = ""; prev = ""
      while (i <= n) {
        c = substr(line, i, 1); c2 = substr(line, i, 2)
        if (in_block) {
          if (c2 == "*/") { in_block = 0; out = out "  "; i += 2 } else { out = out " "; i++ }
          continue
        }
        if (quote != "") {
          out = out c
          if (c == "\\") { out = out substr(line, i + 1, 1); i += 2; continue }
          if (c == quote) quote = ""
          prev = c; i++; continue
        }
        if (c2 == "//") break
        if (c2 == "/*") { in_block = 1; out = out "  "; i += 2; continue }
        if (c == "\"" || (c == "'"'"'" && prev !~ /[[:alnum:]_]/)) quote = c
        out = out c; prev = c; i++
      }
      print FILENAME ":" FNR ":" out
    }' "$@"
}

# Scans ROOT/stack (minus stack/realnet); prints one line per violation and
# returns 1 if there is any.
scan() {
  local root="${1%/}"
  local files=()
  while IFS= read -r -d '' f; do files+=("$f"); done < <(
    find "$root/stack" -type f \
      \( -name '*.cc' -o -name '*.h' -o -name '*.cpp' -o -name '*.hpp' \
         -o -name '*.c' -o -name '*.inc' \) \
      -not -path "$root/stack/realnet/*" -print0 | sort -z)
  if (( ${#files[@]} == 0 )); then
    return 0
  fi
  local stripped hits=""
  stripped="$(strip_comments "${files[@]}")"
  local entry label regex found
  for entry in "${BANNED[@]}"; do
    label="${entry%%|*}"
    regex="${entry#*|}"
    # Anchored past "path:line:" so a file name cannot match.
    found="$(grep -E "^[^:]*:[0-9]+:.*(${regex})" <<<"$stripped" || true)"
    if [[ -n "$found" ]]; then
      while IFS= read -r hit; do
        local where="${hit%%:*}" rest="${hit#*:}"
        local lineno="${rest%%:*}" code="${rest#*:}"
        code="$(sed -E 's/^[[:space:]]+//; s/[[:space:]]+$//' <<<"$code")"
        hits+="${where#"$root"/}:${lineno}: uses ${label}: ${code}"$'\n'
      done <<<"$found"
    fi
  done
  if [[ -n "$hits" ]]; then
    printf '%s' "$hits" | sort -t: -k1,1 -k2,2n
    return 1
  fi
  return 0
}

# Proves the scanner fails on violations, passes comments, strings and
# look-alikes, and exempts stack/realnet.
self_test() {
  local tmp
  tmp="$(mktemp -d "${TEST_TMPDIR:-/tmp}/no_os_access_selftest.XXXXXX")"
  mkdir -p "$tmp/stack/bad" "$tmp/stack/clean" "$tmp/stack/realnet"
  # Every line marked BAD must be reported, and no other.
  cat >"$tmp/stack/bad/bad.cc" <<'EOF'
#include <thread>  // BAD
#include <random>  // BAD
auto t0 = std::chrono::system_clock::now();  // BAD
auto t1 = std::chrono::steady_clock::now();  // BAD
auto t2 = std::chrono::high_resolution_clock::now();  // BAD
absl::Time t3 = absl::Now();  // BAD
absl::BitGen gen;  // BAD
int r = rand();  // BAD
srand(42);  // BAD
std::random_device device;  // BAD
std::mt19937 engine(1);  // BAD
std::uniform_int_distribution<int> d(0, 9);  // BAD
std::bernoulli_distribution coin(0.5);  // BAD
std::thread worker([] {});  // BAD
std::this_thread::sleep_for(std::chrono::milliseconds(1));  // BAD
usleep(10);  // BAD
gettimeofday(&tv, nullptr);  // BAD
clock_gettime(CLOCK_MONOTONIC, &ts);  // BAD
time_t now = time(nullptr);  // BAD
int fd = ::socket(AF_INET, SOCK_DGRAM, 0);  // BAD
int ep = epoll_create1(0);  // BAD
getrandom(buf, 8, 0);  // BAD
FILE* f = fopen("/dev/urandom", "r");  // BAD
const char* url = "http://example.com"; auto t = absl::Now();  // BAD
/* closed */ int x = rand();  // BAD
EOF
  cat >"$tmp/stack/clean/clean.h" <<'EOF'
// Mentions in comments are fine: std::chrono::steady_clock, absl::Now(),
// rand(), std::thread, sleep_for, getrandom, /dev/urandom, epoll_wait,
// std::uniform_int_distribution and time(nullptr).
/* A block comment may too: gettimeofday(), socket(), absl::BitGen
   clock_gettime() and srand() on a second line. */
class UdpSocket;  // Look-alikes: UdpSocket(, operand(, std::bind(.
int operand(int x);
UdpSocket* MakeSocket();
int a = operand(1); int b = std::bind(f, 1); Timestamp now = env.Now();
int64_t us = packet.time(0).us();  // A member named time().
int million = 1'000'000;  // rand() after a digit separator, still a comment.
const char* s = "a // b";  // std::thread in the comment after a string.
Random random = env.CreateRandom("ice");  // Our own generator is fine.
EOF
  cat >"$tmp/stack/realnet/real.cc" <<'EOF'
int fd = socket(AF_INET, SOCK_DGRAM, 0);
auto t = std::chrono::steady_clock::now();
getrandom(buf, 8, 0);
EOF
  local expected actual out status=0
  expected="$(grep -n 'BAD' "$tmp/stack/bad/bad.cc" | cut -d: -f1 | sed 's|^|stack/bad/bad.cc:|' | sort -u)"
  out="$(scan "$tmp")" && status=0 || status=$?
  actual="$(cut -d: -f1,2 <<<"$out" | sort -u)"
  local ok=1
  if (( status == 0 )); then
    echo "SELF-TEST FAILED: scanner passed a tree with violations" >&2; ok=0
  fi
  if [[ "$(sort -t: -k2,2n <<<"$expected")" != "$(sort -t: -k2,2n <<<"$actual")" ]]; then
    echo "SELF-TEST FAILED: reported lines differ from the BAD lines" >&2
    diff <(sort <<<"$expected") <(sort <<<"$actual") >&2 || true
    echo "--- scanner output:" >&2; echo "$out" >&2
    ok=0
  fi
  # Without the bad package the tree must pass (clean.h and realnet/ exempt).
  rm -r "$tmp/stack/bad"
  if ! out="$(scan "$tmp")"; then
    echo "SELF-TEST FAILED: comments, look-alikes or stack/realnet were flagged:" >&2
    echo "$out" >&2; ok=0
  fi
  rm -rf "$tmp"
  if (( ok )); then
    echo "self-test: scanner flags every banned use and nothing else"
    return 0
  fi
  return 1
}

# The workspace root: explicit, `bazel run`, or via this script's symlink.
find_root() {
  if [[ -n "${RTCSIM_SOURCE_ROOT:-}" ]]; then
    echo "$RTCSIM_SOURCE_ROOT"; return
  fi
  if [[ -n "${BUILD_WORKSPACE_DIRECTORY:-}" ]]; then
    echo "$BUILD_WORKSPACE_DIRECTORY"; return
  fi
  local self
  self="$(readlink -f "${BASH_SOURCE[0]}")"
  dirname "$(dirname "$self")"
}

main() {
  local root="" mode="all"
  while (( $# )); do
    case "$1" in
      --root) root="$2"; mode="scan"; shift 2 ;;
      --self-test) mode="self"; shift ;;
      *) echo "usage: $0 [--root DIR | --self-test]" >&2; return 2 ;;
    esac
  done
  if [[ "$mode" != "scan" ]]; then
    self_test || return 1
    [[ "$mode" == "self" ]] && return 0
  fi
  [[ -n "$root" ]] || root="$(find_root)"
  # Refuse to pass vacuously if the tree was not found (e.g. runfiles that are
  # copies rather than symlinks): the Env seam itself must be in view.
  if [[ ! -f "$root/stack/env/env.h" ]]; then
    echo "cannot find the source tree (looked in '$root'); set RTCSIM_SOURCE_ROOT" >&2
    return 1
  fi
  local out
  if ! out="$(scan "$root")"; then
    echo "OS access outside stack/realnet (use the Env: ../shared/DESIGN.md §3):" >&2
    echo "$out" >&2
    return 1
  fi
  echo "scanned $(find "$root/stack" -type f \( -name '*.cc' -o -name '*.h' \) -not -path "$root/stack/realnet/*" | wc -l) files under $root/stack (stack/realnet exempt): clean"
}

main "$@"
