// A per-thread "virtual now" that the simulation's libc time interposer
// (//simnet/interpose:libc_time_interpose) serves to third-party libraries.
//
// Why: OpenSSL reads the wall clock itself — libssl's DTLS retransmission
// timer compares against gettimeofday(), certificate validity uses time() —
// so the virtual clock of the Env cannot reach it through any API
// (../shared/DESIGN.md §4). Code in stack/ that calls such a library opens a
// VirtualWallClockScope around the call. In a simulation binary, which links
// the interposer, gettimeofday/clock_gettime/time then return the Env's
// virtual time; in any other binary nothing reads the scope and the library
// sees the real clock, so real runs behave as before.
//
// This header touches no OS clock: it only stores a number.
#ifndef RTCSIM_STACK_ENV_VIRTUAL_WALL_CLOCK_H_
#define RTCSIM_STACK_ENV_VIRTUAL_WALL_CLOCK_H_

#include <cstdint>

#include "stack/env/time.h"

namespace rtcsim {

// Virtual time zero is 2026-01-01T00:00:00Z (the same epoch as simnet's
// pcapng captures), so certificates and logs carry plausible dates.
inline constexpr int64_t kVirtualEpochUnixSeconds = 1767225600;

struct VirtualClockReading {
  // The Env's monotonic time (Env::Now()), served for CLOCK_MONOTONIC.
  int64_t monotonic_ns = 0;
  // kVirtualEpochUnixSeconds + monotonic time, served for CLOCK_REALTIME,
  // gettimeofday and time.
  int64_t unix_ns = 0;
};

// Whether a scope is active on this thread; if so, fills `reading`.
// Async-signal-safe and allocation-free: the interposer calls it from inside
// gettimeofday.
bool ReadVirtualWallClock(VirtualClockReading* reading);

// Makes `now` the calling thread's virtual time until destroyed. Scopes
// nest; the destructor restores the enclosing one.
class VirtualWallClockScope {
 public:
  explicit VirtualWallClockScope(Timestamp now);
  ~VirtualWallClockScope();
  VirtualWallClockScope(const VirtualWallClockScope&) = delete;
  VirtualWallClockScope& operator=(const VirtualWallClockScope&) = delete;

 private:
  bool previous_active_;
  int64_t previous_ns_;
};

}  // namespace rtcsim

#endif  // RTCSIM_STACK_ENV_VIRTUAL_WALL_CLOCK_H_
