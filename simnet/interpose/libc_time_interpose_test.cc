// Proves the interposer serves virtual time to the executable, to a shared
// library (the probe, built as its own .so) and to libcrypto, only while a
// VirtualWallClockScope is active, and passes through otherwise.
#include "simnet/interpose/libc_time_interpose.h"

#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "stack/env/virtual_wall_clock.h"

extern "C" {
long long rtcsim_probe_gettimeofday_us();
long long rtcsim_probe_clock_gettime_ns(int clock);
long long rtcsim_probe_time();
}

namespace rtcsim::simnet {
namespace {

constexpr int64_t kEpochNs = kVirtualEpochUnixSeconds * 1000000000;
const Timestamp kNow = Timestamp::Nanos(5'500'000'123);  // 5.500000123 s

// The kernel's own clock, bypassing every libc symbol.
int64_t KernelNanos(clockid_t clock) {
  struct timespec ts;
  syscall(SYS_clock_gettime, clock, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

TEST(LibcTimeInterposeTest, ExecutableSeesVirtualTimeInsideAScope) {
  VirtualWallClockScope scope(kNow);
  struct timeval tv;
  ASSERT_EQ(gettimeofday(&tv, nullptr), 0);
  EXPECT_EQ(tv.tv_sec, kVirtualEpochUnixSeconds + 5);
  EXPECT_EQ(tv.tv_usec, 500000);
  struct timespec ts;
  ASSERT_EQ(clock_gettime(CLOCK_REALTIME, &ts), 0);
  EXPECT_EQ(int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec, kEpochNs + kNow.ns());
  ASSERT_EQ(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
  EXPECT_EQ(int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec, kNow.ns());
  time_t t = 0;
  EXPECT_EQ(time(&t), kVirtualEpochUnixSeconds + 5);
  EXPECT_EQ(t, kVirtualEpochUnixSeconds + 5);
}

TEST(LibcTimeInterposeTest, SharedLibrarySeesVirtualTimeInsideAScope) {
  uint64_t served = VirtualTimeReadsServed();
  {
    VirtualWallClockScope scope(kNow);
    EXPECT_EQ(rtcsim_probe_gettimeofday_us(), (kEpochNs + kNow.ns()) / 1000);
    EXPECT_EQ(rtcsim_probe_clock_gettime_ns(CLOCK_REALTIME), kEpochNs + kNow.ns());
    EXPECT_EQ(rtcsim_probe_clock_gettime_ns(CLOCK_MONOTONIC), kNow.ns());
    EXPECT_EQ(rtcsim_probe_clock_gettime_ns(CLOCK_BOOTTIME), kNow.ns());
    EXPECT_EQ(rtcsim_probe_time(), kVirtualEpochUnixSeconds + 5);
  }
  EXPECT_EQ(VirtualTimeReadsServed(), served + 5);
}

TEST(LibcTimeInterposeTest, LibcryptoSeesVirtualTime) {
  // X509_gmtime_adj() reads time() inside libcrypto.so.
  ASN1_TIME* at = nullptr;
  {
    VirtualWallClockScope scope(kNow + TimeDelta::Seconds(3600));
    at = X509_gmtime_adj(nullptr, 0);
  }
  ASSERT_NE(at, nullptr);
  std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(at)),
                   ASN1_STRING_length(at));
  EXPECT_EQ(text, "260101010005Z");  // UTCTime 2026-01-01 01:00:05 UTC
  ASN1_TIME_free(at);
}

TEST(LibcTimeInterposeTest, PassesThroughOutsideAScope) {
  int64_t before = KernelNanos(CLOCK_REALTIME);
  int64_t via_probe = rtcsim_probe_clock_gettime_ns(CLOCK_REALTIME);
  int64_t after = KernelNanos(CLOCK_REALTIME);
  EXPECT_LE(before, via_probe);
  EXPECT_LE(via_probe, after);
  int64_t mono_before = KernelNanos(CLOCK_MONOTONIC);
  int64_t mono = rtcsim_probe_clock_gettime_ns(CLOCK_MONOTONIC);
  EXPECT_LE(mono_before, mono);
  int64_t tod_us = rtcsim_probe_gettimeofday_us();
  EXPECT_GE(tod_us, before / 1000);
  EXPECT_GE(rtcsim_probe_time(), before / 1000000000);
}

TEST(LibcTimeInterposeTest, CpuClocksAreNeverVirtual) {
  VirtualWallClockScope scope(kNow);
  // A CPU-time clock keeps measuring the process, not the simulation.
  volatile uint64_t sink = 0;
  for (int i = 0; i < 1000000; ++i) sink = sink + i;
  EXPECT_GT(rtcsim_probe_clock_gettime_ns(CLOCK_PROCESS_CPUTIME_ID), 0);
  EXPECT_NE(rtcsim_probe_clock_gettime_ns(CLOCK_PROCESS_CPUTIME_ID), kNow.ns());
}

TEST(LibcTimeInterposeTest, ScopesNestAndRestore) {
  VirtualWallClockScope outer(Timestamp::Nanos(1'000'000'000));
  {
    VirtualWallClockScope inner(Timestamp::Nanos(2'000'000'000));
    EXPECT_EQ(rtcsim_probe_clock_gettime_ns(CLOCK_MONOTONIC), 2'000'000'000);
  }
  EXPECT_EQ(rtcsim_probe_clock_gettime_ns(CLOCK_MONOTONIC), 1'000'000'000);
}

}  // namespace
}  // namespace rtcsim::simnet
