// Consent freshness (RFC 7675) and recovery by ICE restart (RFC 8445 §9):
// cutting the path makes both agents report disconnected, then failed once
// consent expires (30 s without a response), after which nothing more is
// sent; restoring the path and restarting ICE reconnects and data flows.
#include <vector>

#include "conformance/ice/ice_pair.h"
#include "gtest/gtest.h"
#include "simnet/capture/pcapng_reader.h"
#include "stack/stun/stun_message.h"

namespace rtcsim::conformance {
namespace {

using ice::IceConnectionState;

// Whether the agent ever entered `state`.
bool Reached(const std::vector<IceConnectionState>& history, IceConnectionState state) {
  for (IceConnectionState s : history) {
    if (s == state) return true;
  }
  return false;
}

TEST(IceConsent, CutLinkDisconnectsThenFailsThenRestartRecovers) {
  IcePairOptions o;
  o.edges = {Edge{Edge::Kind::kNat}, Edge{Edge::Kind::kNat}};
  o.servers = Servers::kStun;
  o.capture = true;
  auto created = IcePair::Create(o);
  ASSERT_TRUE(created.ok()) << created.status();
  IcePair& p = **created;
  ASSERT_TRUE(p.Start().ok());
  p.RunUntilSettled(TimeDelta::Seconds(10));
  ASSERT_TRUE(p.Connected());

  // Data flows both ways while consent is fresh.
  p.network().RunFor(TimeDelta::Seconds(12));          // a couple of consent rounds
  const std::vector<uint8_t> hello = {0x80, 1, 2, 3};  // not STUN (RFC 7983)
  ASSERT_TRUE(p.agent(0).Send(hello).ok());
  ASSERT_TRUE(p.agent(1).Send(hello).ok());
  p.network().RunFor(TimeDelta::Millis(100));
  ASSERT_EQ(p.received(0).size(), 1u);
  ASSERT_EQ(p.received(1).size(), 1u);
  EXPECT_GE(p.agent(0).stats().consent_checks_sent, 2u);

  // Cut B's access link.
  const Timestamp cut = p.network().now();
  p.access_link(1).SetUp(false);

  // Disconnected: after the configured 5 s without a response (a consent
  // check may be up to 1.2 × 5 s away, plus its own RTO).
  Timestamp disconnected = Timestamp::Infinite();
  Timestamp failed = Timestamp::Infinite();
  while (p.network().now() < cut + TimeDelta::Seconds(45) && failed == Timestamp::Infinite()) {
    p.network().RunFor(TimeDelta::Millis(100));
    if (disconnected == Timestamp::Infinite() &&
        p.agent(0).state() == IceConnectionState::kDisconnected) {
      disconnected = p.network().now();
    }
    if (p.agent(0).state() == IceConnectionState::kFailed) failed = p.network().now();
  }
  ASSERT_NE(disconnected, Timestamp::Infinite()) << "never reported disconnected";
  ASSERT_NE(failed, Timestamp::Infinite()) << "never failed";
  EXPECT_LE(disconnected - cut, TimeDelta::Seconds(12));
  // RFC 7675 §5.1: consent expires 30 s after the last response; the last
  // response came at most one consent interval (≤ 6 s) before the cut.
  EXPECT_GE(failed - cut, TimeDelta::Seconds(24));
  EXPECT_LE(failed - cut, TimeDelta::Seconds(31));
  EXPECT_GE(p.agent(0).stats().consent_expired, 1u);
  EXPECT_TRUE(Reached(p.state_history(1), IceConnectionState::kDisconnected));

  // Consent lost: sending stops, both in the API and on the wire.
  const absl::Status send = p.agent(0).Send(hello);
  EXPECT_EQ(send.code(), absl::StatusCode::kFailedPrecondition) << send;
  p.network().RunFor(TimeDelta::Seconds(10));
  auto wire = simnet::ReadPcapng(p.capture(0)->bytes());
  ASSERT_TRUE(wire.ok()) << wire.status();
  const auto& own = p.host(0).addresses();
  for (const simnet::CapturedDatagram& d : *wire) {
    if (d.time <= failed || d.src.ip() != own[0]) continue;
    EXPECT_TRUE(stun::LooksLikeStun(d.payload))
        << "data sent after consent expired, at " << d.time.ToString();
  }

  // Restore the path and restart ICE: new credentials, new checks, and the
  // call is back.
  p.access_link(1).SetUp(true);
  ASSERT_TRUE(p.RestartIce().ok());
  const Timestamp restart = p.network().now();
  while (!p.Connected() && p.network().now() < restart + TimeDelta::Seconds(10)) {
    p.network().RunFor(TimeDelta::Millis(10));
  }
  ASSERT_TRUE(p.Connected()) << ice::ToString(p.agent(0).state()) << " / "
                             << ice::ToString(p.agent(1).state());
  EXPECT_LE(p.network().now() - restart, TimeDelta::Seconds(2));
  EXPECT_EQ(p.agent(0).stats().ice_restarts, 1u);
  ASSERT_TRUE(p.agent(0).Send(hello).ok());
  p.network().RunFor(TimeDelta::Millis(100));
  EXPECT_EQ(p.received(1).size(), 2u);
}

TEST(IceConsent, ConsentChecksAreRandomisedAroundFiveSeconds) {
  IcePairOptions o;
  o.edges = {Edge{Edge::Kind::kOpen}, Edge{Edge::Kind::kOpen}};
  o.capture = true;
  auto created = IcePair::Create(o);
  ASSERT_TRUE(created.ok()) << created.status();
  IcePair& p = **created;
  ASSERT_TRUE(p.Start().ok());
  p.RunUntilSettled(TimeDelta::Seconds(5));
  ASSERT_TRUE(p.Connected());
  const Timestamp start = p.network().now() + TimeDelta::Seconds(1);
  p.network().RunFor(TimeDelta::Seconds(120));

  // Consent checks are the Binding requests on the selected pair once
  // connected; measure their spacing on the wire.
  auto wire = simnet::ReadPcapng(p.capture(0)->bytes());
  ASSERT_TRUE(wire.ok()) << wire.status();
  std::vector<Timestamp> sends;
  for (const simnet::CapturedDatagram& d : *wire) {
    if (d.time < start || d.src.ip() != p.host(0).addresses()[0]) continue;
    auto m = stun::StunMessageView::Parse(d.payload);
    if (m.ok() && m->method() == stun::StunMethod::kBinding &&
        m->message_class() == stun::StunClass::kRequest) {
      sends.push_back(d.time);
    }
  }
  ASSERT_GE(sends.size(), 18u);
  std::vector<TimeDelta> gaps;
  for (size_t k = 1; k < sends.size(); ++k) gaps.push_back(sends[k] - sends[k - 1]);
  // RFC 7675 §5.1: uniformly in [0.8, 1.2] × 5 s, so not all equal.
  bool varied = false;
  for (const TimeDelta g : gaps) {
    EXPECT_GE(g, TimeDelta::Millis(4000));
    EXPECT_LE(g, TimeDelta::Millis(6000));
    if (g != gaps[0]) varied = true;
  }
  EXPECT_TRUE(varied);
}

}  // namespace
}  // namespace rtcsim::conformance
