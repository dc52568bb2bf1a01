// Serves virtual time to third-party libraries in simulation binaries.
//
// Linking //simnet/interpose:libc_time_interpose into an executable defines
// gettimeofday(), clock_gettime() and time() in the executable itself. The
// dynamic linker resolves the references of shared libraries (libssl,
// libcrypto, libsrtp2, usrsctp, libvpx) to the executable's definitions
// before libc's, so these functions replace libc's for the whole process.
// While the calling thread has a rtcsim::VirtualWallClockScope active
// (stack/env/virtual_wall_clock.h), they return the Env's virtual time;
// otherwise they pass through to libc, so everything outside a scope (gtest's
// timers, logging) sees the real clock (../shared/DESIGN.md §4).
//
// Mapping while a scope is active:
//   CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_REALTIME_ALARM,
//   gettimeofday, time          -> 2026-01-01T00:00:00Z + virtual time
//   CLOCK_TAI                   -> the same + 37 s (TAI-UTC since 2017)
//   CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_MONOTONIC_COARSE,
//   CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM -> virtual time
//   CPU-time clocks and anything else -> libc (not "time" in the sense of
//   the simulation)
//
// Only simulation executables link this; library code never does (it is
// alwayslink and exports the three symbols from the executable).
#ifndef RTCSIM_SIMNET_INTERPOSE_LIBC_TIME_INTERPOSE_H_
#define RTCSIM_SIMNET_INTERPOSE_LIBC_TIME_INTERPOSE_H_

#include <cstdint>

namespace rtcsim::simnet {

// How many calls the interposer answered with virtual time (all threads);
// lets a test prove the interposer is in the process and was reached.
uint64_t VirtualTimeReadsServed();

}  // namespace rtcsim::simnet

#endif  // RTCSIM_SIMNET_INTERPOSE_LIBC_TIME_INTERPOSE_H_
