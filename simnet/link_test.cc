#include "simnet/link.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "simnet/network.h"

namespace rtcsim::simnet {
namespace {

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

// sender ── link under test ── router ── (ideal link) ── receiver
// The sender numbers its datagrams; the receiver logs sequence and arrival.
class LinkBench {
 public:
  explicit LinkBench(const LinkParams& params, uint64_t seed = 7) : net_(seed) {
    Router* r = *net_.AddRouter("r");
    sender_ = *net_.AddHost("sender", {Ip("10.0.0.1")});
    receiver_ = *net_.AddHost("receiver", {Ip("10.0.1.1")});
    link_ = *net_.Connect(sender_, r, params);
    EXPECT_TRUE(net_.Connect(receiver_, r, LinkParams{}).ok());
    tx_ = *sender_->Bind(SocketAddress(Ip("10.0.0.1"), 1000));
    rx_ = *receiver_->Bind(SocketAddress(Ip("10.0.1.1"), 2000));
    rx_->SetReceiveCallback([this](const SocketAddress&, absl::Span<const uint8_t> d) {
      uint32_t seq;
      std::memcpy(&seq, d.data(), 4);
      arrivals_.push_back({seq, net_.now()});
    });
  }

  // Sends `count` datagrams of `payload` bytes, one every `interval`.
  void Send(int count, size_t payload, TimeDelta interval) {
    buf_.assign(payload < 4 ? 4 : payload, 0xab);
    for (int i = 0; i < count; ++i) {
      net_.loop().Schedule(start_ + interval * i, [this, i] {
        uint32_t seq = static_cast<uint32_t>(i);
        std::memcpy(buf_.data(), &seq, 4);
        send_times_.push_back(net_.now());
        EXPECT_TRUE(tx_->SendTo(SocketAddress(Ip("10.0.1.1"), 2000), buf_).ok());
      });
    }
    net_.loop().Run();
  }

  struct Arrival {
    uint32_t seq;
    Timestamp at;
  };
  Network net_;
  Host* sender_;
  Host* receiver_;
  Link* link_;
  std::unique_ptr<UdpSocket> tx_, rx_;
  std::vector<uint8_t> buf_;
  std::vector<Arrival> arrivals_;
  std::vector<Timestamp> send_times_;
  Timestamp start_ = Timestamp::Zero();
};

TEST(LinkParams, InvalidValuesAreRejectedWithTheFieldName) {
  LinkParams p;
  p.delay = TimeDelta::Millis(-5);
  absl::Status s = ValidateLinkParams(p);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("delay must not be negative"), std::string::npos) << s;
  p = LinkParams{};
  p.loss = LossModel::Bernoulli(1.5);
  s = ValidateLinkParams(p);
  EXPECT_NE(s.message().find("loss rate"), std::string::npos) << s;
  p.loss = LossModel::GilbertElliott(0.1, -0.2);
  EXPECT_NE(ValidateLinkParams(p).message().find("p_bad_to_good"), std::string::npos);
  p = LinkParams{};
  p.duplicate = std::nan("");
  EXPECT_FALSE(ValidateLinkParams(p).ok());
  p = LinkParams{};
  p.mtu = 10;
  EXPECT_FALSE(ValidateLinkParams(p).ok());
  p = LinkParams{};
  p.bandwidth_bps = -1;
  EXPECT_FALSE(ValidateLinkParams(p).ok());
  // The same checks guard changes while running.
  LinkBench b(LinkParams{});
  LinkParams bad;
  bad.jitter = TimeDelta::Millis(-1);
  absl::Status change = b.link_->SetParams(bad);
  EXPECT_FALSE(change.ok());
  EXPECT_NE(change.message().find("link sender-r"), std::string::npos) << change;
}

TEST(Link, BernoulliLossRateIsWithinStatisticalBounds) {
  LinkParams p;
  p.loss = LossModel::Bernoulli(0.1);
  LinkBench b(p);
  const int n = 100000;
  b.Send(n, 100, TimeDelta::Micros(100));
  const double lost = n - static_cast<double>(b.arrivals_.size());
  // Binomial: sd = sqrt(n p (1-p)) ≈ 94.9; allow 5 sd.
  EXPECT_NEAR(lost, 0.1 * n, 5 * std::sqrt(n * 0.1 * 0.9));
  EXPECT_EQ(b.link_->stats(0).lost, static_cast<uint64_t>(lost));
}

TEST(Link, GilbertElliottLossRateAndMeanBurstLength) {
  // p = 0.01, r = 0.25: stationary loss p / (p + r) ≈ 3.85 %, mean burst 4.
  LinkParams p;
  p.loss = LossModel::GilbertElliott(0.01, 0.25);
  LinkBench b(p);
  const int n = 200000;
  b.Send(n, 100, TimeDelta::Micros(100));
  std::vector<bool> got(n, false);
  for (const auto& a : b.arrivals_) got[a.seq] = true;
  int lost = 0, bursts = 0;
  for (int i = 0; i < n; ++i) {
    if (!got[i]) {
      ++lost;
      if (i == 0 || got[i - 1]) ++bursts;
    }
  }
  const double rate = static_cast<double>(lost) / n;
  const double mean_burst = static_cast<double>(lost) / bursts;
  // ~1900 bursts; burst length sd ≈ 3.5, so the mean's se ≈ 0.08.
  EXPECT_NEAR(mean_burst, 4.0, 0.4) << "bursts " << bursts;
  EXPECT_NEAR(rate, 0.01 / 0.26, 0.1 * 0.01 / 0.26) << "lost " << lost;
}

TEST(Link, ThroughputNeverExceedsBandwidthAndQueueDelayIsBounded) {
  LinkParams p;
  p.bandwidth_bps = 1000000;  // 1 Mbit/s
  p.queue_bytes = 30000;      // ≤ 240 ms of queue at 1 Mbit/s
  p.delay = TimeDelta::Millis(20);
  LinkBench b(p);
  // Offer 2 Mbit/s: 1228-byte IP packets every ~4.9 ms for 20 s.
  const int n = 4000;
  b.Send(n, 1200, TimeDelta::Micros(4912));
  const int64_t wire_bytes = 1200 + 28;
  const TimeDelta tx_time = TimeDelta::Nanos(wire_bytes * 8 * 1000);  // at 1 Mbit/s
  ASSERT_GT(b.arrivals_.size(), 100u);
  EXPECT_GT(b.link_->stats(0).queue_drops, 0u);
  for (size_t i = 1; i < b.arrivals_.size(); ++i) {
    // Back-to-back arrivals are at least one serialisation time apart.
    ASSERT_GE(b.arrivals_[i].at - b.arrivals_[i - 1].at, tx_time) << "arrival " << i;
  }
  // Over any window, bytes delivered ≤ bandwidth × window + one packet.
  const auto& a = b.arrivals_;
  for (size_t i = 0; i + 50 < a.size(); i += 25) {
    const TimeDelta window = a[i + 50].at - a[i].at;
    const int64_t bytes = 50 * wire_bytes;
    EXPECT_LE(bytes * 8 * 1000000000LL,
              (p.bandwidth_bps * window.ns()) + wire_bytes * 8 * 1000000000LL);
  }
  // One-way delay = queueing + serialisation + propagation, queueing bounded
  // by queue size / bandwidth.
  const TimeDelta max_queueing = TimeDelta::Millis(240);
  TimeDelta worst = TimeDelta::Zero();
  for (const auto& arr : a) {
    TimeDelta owd = arr.at - b.send_times_[arr.seq];
    if (owd > worst) worst = owd;
  }
  EXPECT_LE(worst, max_queueing + tx_time + p.delay);
  EXPECT_GT(worst, TimeDelta::Millis(150));  // and the queue did fill up
  EXPECT_LE(b.link_->stats(0).max_queue_delay, max_queueing);
}

TEST(Link, PacketQueueLimitDropsTail) {
  LinkParams p;
  p.bandwidth_bps = 100000;
  p.queue_packets = 5;
  LinkBench b(p);
  b.Send(20, 1000, TimeDelta::Zero());  // a burst of 20 at once
  EXPECT_EQ(b.arrivals_.size(), 5u);
  EXPECT_EQ(b.link_->stats(0).queue_drops, 15u);
  for (size_t i = 0; i < b.arrivals_.size(); ++i) EXPECT_EQ(b.arrivals_[i].seq, i);
}

TEST(Link, JitterReordersOnlyWhenAllowed) {
  for (bool allow : {false, true}) {
    LinkParams p;
    p.delay = TimeDelta::Millis(50);
    p.jitter = TimeDelta::Millis(30);
    p.allow_reordering = allow;
    LinkBench b(p);
    b.Send(5000, 100, TimeDelta::Millis(1));
    ASSERT_EQ(b.arrivals_.size(), 5000u);
    int inversions = 0;
    for (size_t i = 1; i < b.arrivals_.size(); ++i) {
      inversions += b.arrivals_[i].seq < b.arrivals_[i - 1].seq;
    }
    TimeDelta min_owd = TimeDelta::Infinite(), max_owd = TimeDelta::Zero();
    for (const auto& a : b.arrivals_) {
      TimeDelta owd = a.at - b.send_times_[a.seq];
      min_owd = std::min(min_owd, owd);
      max_owd = std::max(max_owd, owd);
    }
    EXPECT_GE(min_owd, p.delay);
    if (allow) {
      EXPECT_GT(inversions, 100);
      EXPECT_GT(b.link_->stats(0).reordered, 100u);
      EXPECT_LE(max_owd, p.delay + p.jitter);
    } else {
      EXPECT_EQ(inversions, 0);
      EXPECT_EQ(b.link_->stats(0).reordered, 0u);
    }
  }
}

TEST(Link, DuplicationDeliversExtraCopies) {
  LinkParams p;
  p.duplicate = 0.05;
  LinkBench b(p);
  const int n = 20000;
  b.Send(n, 100, TimeDelta::Micros(200));
  const double extra = static_cast<double>(b.arrivals_.size()) - n;
  EXPECT_NEAR(extra, 0.05 * n, 5 * std::sqrt(n * 0.05 * 0.95));
  EXPECT_EQ(b.link_->stats(0).duplicated, static_cast<uint64_t>(extra));
}

TEST(Link, MtuDropsOversizedPackets) {
  LinkParams p;
  p.mtu = 1500;
  LinkBench b(p);
  b.Send(1, 1472, TimeDelta::Zero());  // 1500 bytes of IPv4: fits
  EXPECT_EQ(b.arrivals_.size(), 1u);
  b.start_ = b.net_.now();
  b.Send(1, 1473, TimeDelta::Zero());
  EXPECT_EQ(b.arrivals_.size(), 1u);
  EXPECT_EQ(b.link_->stats(0).mtu_drops, 1u);
}

TEST(Link, DownDropsNewAndInFlightPacketsAndUpRestores) {
  LinkParams p;
  p.delay = TimeDelta::Millis(100);
  LinkBench b(p);
  // Packets every 10 ms for 1 s; the link is down from 300 ms to 600 ms.
  b.net_.loop().Schedule(Timestamp::Nanos(300'000'000), [&] { b.link_->SetUp(false); });
  b.net_.loop().Schedule(Timestamp::Nanos(600'000'000), [&] { b.link_->SetUp(true); });
  b.Send(100, 100, TimeDelta::Millis(10));
  // Sent in [0, 200) ms arrive; [200, 300) were in flight when it went down;
  // [300, 600) were refused; [600, 1000) arrive.
  EXPECT_EQ(b.arrivals_.size(), 20u + 40u);
  EXPECT_EQ(b.link_->stats(0).down_drops, 40u);
}

TEST(Link, ParametersChangeWhileRunning) {
  LinkBench b(LinkParams{});
  b.net_.loop().Schedule(Timestamp::Nanos(500'000'000), [&] {
    LinkParams lossy;
    lossy.loss = LossModel::Bernoulli(1.0);
    ASSERT_TRUE(b.link_->SetParams(0, lossy).ok());
  });
  b.Send(100, 100, TimeDelta::Millis(10));
  EXPECT_EQ(b.arrivals_.size(), 50u);
}

}  // namespace
}  // namespace rtcsim::simnet
