#include "stack/env/virtual_wall_clock.h"

namespace rtcsim {
namespace {

// Plain constant-initialised thread_locals: no TLS constructor runs, so
// reading them from the interposer is safe at any point of a thread's life.
constinit thread_local bool tls_active = false;
constinit thread_local int64_t tls_monotonic_ns = 0;

}  // namespace

bool ReadVirtualWallClock(VirtualClockReading* reading) {
  if (!tls_active) return false;
  reading->monotonic_ns = tls_monotonic_ns;
  reading->unix_ns = kVirtualEpochUnixSeconds * 1000000000 + tls_monotonic_ns;
  return true;
}

VirtualWallClockScope::VirtualWallClockScope(Timestamp now)
    : previous_active_(tls_active), previous_ns_(tls_monotonic_ns) {
  tls_active = true;
  tls_monotonic_ns = now.ns();
}

VirtualWallClockScope::~VirtualWallClockScope() {
  tls_active = previous_active_;
  tls_monotonic_ns = previous_ns_;
}

}  // namespace rtcsim
