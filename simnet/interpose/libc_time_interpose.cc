// See libc_time_interpose.h. The pass-through finds libc's own functions
// with dlsym(RTLD_NEXT), keeping the vDSO fast path; if that fails it falls
// back to the raw system calls.
#include "simnet/interpose/libc_time_interpose.h"

#include <dlfcn.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "stack/env/virtual_wall_clock.h"

namespace rtcsim::simnet {
namespace {

std::atomic<uint64_t> reads_served{0};

using ClockGettimeFn = int (*)(clockid_t, struct timespec*);
using GettimeofdayFn = int (*)(struct timeval*, void*);
using TimeFn = time_t (*)(time_t*);

template <typename Fn>
Fn NextSymbol(std::atomic<Fn>& cache, const char* name) {
  Fn fn = cache.load(std::memory_order_acquire);
  if (fn == nullptr) {
    fn = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
    cache.store(fn, std::memory_order_release);
  }
  return fn;
}

std::atomic<ClockGettimeFn> next_clock_gettime{nullptr};
std::atomic<GettimeofdayFn> next_gettimeofday{nullptr};
std::atomic<TimeFn> next_time{nullptr};

int RealClockGettime(clockid_t clock, struct timespec* ts) {
  if (ClockGettimeFn fn = NextSymbol(next_clock_gettime, "clock_gettime")) return fn(clock, ts);
  return static_cast<int>(syscall(SYS_clock_gettime, clock, ts));
}

// Virtual nanoseconds for `clock`, or false when the clock is not virtual
// (no scope on this thread, or a CPU-time clock).
bool VirtualNanos(clockid_t clock, int64_t* ns) {
  VirtualClockReading reading;
  if (!ReadVirtualWallClock(&reading)) return false;
  switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_REALTIME_ALARM:
      *ns = reading.unix_ns;
      break;
    case CLOCK_TAI:
      *ns = reading.unix_ns + int64_t{37} * 1000000000;
      break;
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    case CLOCK_BOOTTIME_ALARM:
      *ns = reading.monotonic_ns;
      break;
    default:
      return false;
  }
  reads_served.fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace

uint64_t VirtualTimeReadsServed() { return reads_served.load(std::memory_order_relaxed); }

}  // namespace rtcsim::simnet

// The interposed definitions. Signatures match glibc's declarations exactly.
extern "C" {

int clock_gettime(clockid_t clock, struct timespec* ts) noexcept {
  int64_t ns;
  if (rtcsim::simnet::VirtualNanos(clock, &ns)) {
    ts->tv_sec = ns / 1000000000;
    ts->tv_nsec = ns % 1000000000;
    return 0;
  }
  return rtcsim::simnet::RealClockGettime(clock, ts);
}

int gettimeofday(struct timeval* __restrict tv, void* __restrict tz) noexcept {
  int64_t ns;
  if (rtcsim::simnet::VirtualNanos(CLOCK_REALTIME, &ns)) {
    tv->tv_sec = ns / 1000000000;
    tv->tv_usec = (ns % 1000000000) / 1000;
    if (tz != nullptr) {
      // Obsolete; glibc fills zeros (UTC, no DST), and so do we.
      auto* zone = static_cast<struct timezone*>(tz);
      zone->tz_minuteswest = 0;
      zone->tz_dsttime = 0;
    }
    return 0;
  }
  using rtcsim::simnet::next_gettimeofday;
  if (auto fn = rtcsim::simnet::NextSymbol(next_gettimeofday, "gettimeofday")) return fn(tv, tz);
  return static_cast<int>(syscall(SYS_gettimeofday, tv, tz));
}

time_t time(time_t* out) noexcept {
  int64_t ns;
  time_t t;
  if (rtcsim::simnet::VirtualNanos(CLOCK_REALTIME, &ns)) {
    t = static_cast<time_t>(ns / 1000000000);
  } else if (auto fn = rtcsim::simnet::NextSymbol(rtcsim::simnet::next_time, "time")) {
    return fn(out);
  } else {
    struct timespec ts;
    rtcsim::simnet::RealClockGettime(CLOCK_REALTIME, &ts);
    t = ts.tv_sec;
  }
  if (out != nullptr) *out = t;
  return t;
}

}  // extern "C"
