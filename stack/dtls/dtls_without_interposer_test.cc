// Why simulation binaries link //simnet/interpose:libc_time_interpose: this
// binary does not. libssl then checks its retransmission timer against the
// real gettimeofday(), which barely moves while virtual time races ahead,
// so the Env timer fires "early" again and again and the flight is never
// resent in virtual time. The transport counts it (early_timer_fires),
// which is how a misbuilt simulation shows itself.
#include "gtest/gtest.h"
#include "stack/dtls/dtls_test_util.h"

namespace rtcsim::dtls {
namespace {

TEST(DtlsWithoutInterposerTest, TimersNeverExpireInVirtualTime) {
  testing::DtlsPair pair(testing::DtlsPairOptions{});
  simnet::LinkParams dead = testing::DtlsPairOptions::DefaultLink();
  dead.up = false;
  ASSERT_TRUE(pair.client().link->SetParams(0, dead).ok());
  pair.Create();
  pair.Start();
  pair.net().RunFor(TimeDelta::Seconds(10));
  const DtlsTransportStats& stats = pair.client().transport->stats();
  // With the interposer: 3 retransmissions (1, 3, 7 s) and no early fires.
  EXPECT_GT(stats.early_timer_fires, 0u);
  EXPECT_LT(stats.retransmissions, 3u);
}

}  // namespace
}  // namespace rtcsim::dtls
