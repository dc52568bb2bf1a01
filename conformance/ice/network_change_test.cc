// Network change (a host's address changes mid-call, e.g. Wi-Fi to another
// network): the call loses its path, and an ICE restart (RFC 8445 §9) on
// both sides gathers on the new address and recovers. Until the restart the
// agent survives its failing sends and consent freshness (RFC 7675 §5.1)
// fails the connection as usual.
//
// Side A (host-a, 10.0.1.2 behind nat-a) moves to 10.0.1.3 under the same
// NAT: its old NAT mapping now leads nowhere, so nothing from B reaches it,
// and nothing A sends from the old socket leaves the host.
#include <cstdio>
#include <string>
#include <vector>

#include "conformance/ice/ice_pair.h"
#include "gtest/gtest.h"
#include "simnet/network.h"
#include "stack/ice/candidate.h"

namespace rtcsim::conformance {
namespace {

using ice::CandidateType;
using ice::IceConnectionState;

const IpAddress kOldA = IpAddress::V4(10, 0, 1, 2);
const IpAddress kNewA = IpAddress::V4(10, 0, 1, 3);
const std::vector<uint8_t> kHello = {0x80, 1, 2, 3};  // not STUN (RFC 7983)

bool Reached(const std::vector<IceConnectionState>& history, IceConnectionState state) {
  for (IceConnectionState s : history) {
    if (s == state) return true;
  }
  return false;
}

bool IsUp(IceConnectionState s) {
  return s == IceConnectionState::kConnected || s == IceConnectionState::kCompleted;
}

std::unique_ptr<IcePair> ConnectedPair(Servers servers, uint64_t seed = 1) {
  IcePairOptions o;
  o.edges = {Edge{Edge::Kind::kNat}, Edge{Edge::Kind::kNat}};
  o.servers = servers;
  o.seed = seed;
  auto created = IcePair::Create(o);
  EXPECT_TRUE(created.ok()) << created.status();
  if (!created.ok()) return nullptr;
  std::unique_ptr<IcePair> p = std::move(*created);
  EXPECT_TRUE(p->Start().ok());
  p->RunUntilSettled(TimeDelta::Seconds(10));
  EXPECT_TRUE(p->Connected());
  EXPECT_EQ(p->host(0).addresses(), std::vector<IpAddress>{kOldA});
  return p;
}

// Sends one datagram each way; returns how many arrived, as "a,b".
std::string Exchange(IcePair& p) {
  const size_t a = p.received(0).size();
  const size_t b = p.received(1).size();
  p.agent(0).Send(kHello).IgnoreError();
  p.agent(1).Send(kHello).IgnoreError();
  p.network().RunFor(TimeDelta::Millis(200));
  return std::to_string(p.received(0).size() - a) + "," + std::to_string(p.received(1).size() - b);
}

struct Recovery {
  TimeDelta reconnect = TimeDelta::Seconds(-1);  // negative: never
  std::string hash;
};

// Moves A, checks the path is dead, restarts both, and waits for a new pair
// on both sides.
Recovery MoveAndRestart(IcePair& p) {
  Recovery out;
  EXPECT_EQ(Exchange(p), "1,1");
  const uint64_t changes0 = p.agent(0).stats().selected_pair_changes;
  const uint64_t changes1 = p.agent(1).stats().selected_pair_changes;

  EXPECT_TRUE(p.network().SetHostAddresses(&p.host(0), {kNewA}).ok());
  // The path is gone both ways; A's sends fail locally and are counted.
  EXPECT_EQ(Exchange(p), "0,0");
  EXPECT_GE(p.agent(0).stats().send_errors, 1u);
  EXPECT_EQ(p.agent(0).stats().host_address_changes, 0u);

  EXPECT_TRUE(p.RestartIce().ok());
  const Timestamp restart = p.network().now();
  EXPECT_EQ(p.agent(0).stats().host_address_changes, 1u);
  EXPECT_EQ(p.agent(1).stats().host_address_changes, 0u);
  // A's old pair went with its socket (it cannot be kept, RFC 8445 §9).
  EXPECT_FALSE(p.agent(0).selected_pair().has_value());
  auto done = [&] {
    return IsUp(p.agent(0).state()) && IsUp(p.agent(1).state()) &&
           p.agent(0).stats().selected_pair_changes > changes0 &&
           p.agent(1).stats().selected_pair_changes > changes1;
  };
  while (!done() && p.network().now() < restart + TimeDelta::Seconds(20)) {
    p.network().RunFor(TimeDelta::Millis(10));
  }
  if (done()) out.reconnect = p.network().now() - restart;
  ::testing::Test::RecordProperty("reconnect_ms", std::to_string(out.reconnect.ms()));
  std::printf("reconnected %s after the restart\n", out.reconnect.ToString().c_str());
  out.hash = p.network().trace().HashHex();
  return out;
}

TEST(NetworkChange, NewAddressUnderTheSameNatRecoversByIceRestart) {
  auto p = ConnectedPair(Servers::kStunTurn);
  ASSERT_NE(p, nullptr);
  const Recovery r = MoveAndRestart(*p);
  ASSERT_GE(r.reconnect.ms(), 0) << ice::ToString(p->agent(0).state()) << " / "
                                 << ice::ToString(p->agent(1).state());
  // Gathering on the new socket (host at once, srflx after one RTT to the
  // server) plus checks and nomination: well under two seconds here.
  EXPECT_LE(r.reconnect.ms(), 2000);
  EXPECT_TRUE(Reached(p->state_history(0), IceConnectionState::kDisconnected));

  // A's candidates are all on the new address: a host candidate on it, and
  // server-reflexive and relayed ones whose base is that host candidate.
  p->network().RunFor(TimeDelta::Seconds(2));
  ASSERT_EQ(p->agent(0).gathering_state(), ice::IceGatheringState::kComplete);
  int host = 0, srflx = 0, relay = 0;
  for (const ice::Candidate& c : p->agent(0).local_candidates()) {
    EXPECT_NE(c.base.ip(), kOldA) << ice::SerializeCandidate(c);
    EXPECT_NE(c.address.ip(), kOldA) << ice::SerializeCandidate(c);
    if (c.type == CandidateType::kHost) {
      ++host;
      EXPECT_EQ(c.address.ip(), kNewA) << ice::SerializeCandidate(c);
    } else if (c.type == CandidateType::kServerReflexive) {
      ++srflx;
      EXPECT_EQ(c.base.ip(), kNewA) << ice::SerializeCandidate(c);
    } else if (c.type == CandidateType::kRelayed) {
      ++relay;  // a fresh allocation, made from the new socket
      EXPECT_EQ(c.related.ip(), IpAddress::V4(203, 0, 113, 10)) << ice::SerializeCandidate(c);
    }
  }
  EXPECT_EQ(host, 1);
  EXPECT_EQ(srflx, 1);
  EXPECT_EQ(relay, 1);

  // The new pair's local side is based on the new address.
  auto selected = p->agent(0).selected_pair();
  ASSERT_TRUE(selected.has_value());
  EXPECT_EQ(selected->local.base.ip(), kNewA) << ice::SerializeCandidate(selected->local);
  EXPECT_EQ(p->SelectedPath(0), "srflx/srflx");
  EXPECT_EQ(p->SelectedPath(1), "srflx/srflx");
  auto remote_view = p->agent(1).selected_pair();
  ASSERT_TRUE(remote_view.has_value());
  EXPECT_NE(remote_view->remote.address, SocketAddress());

  // Data flows again, and keeps flowing through consent rounds.
  EXPECT_EQ(Exchange(*p), "1,1");
  p->network().RunFor(TimeDelta::Seconds(40));
  EXPECT_TRUE(IsUp(p->agent(0).state())) << ice::ToString(p->agent(0).state());
  EXPECT_TRUE(IsUp(p->agent(1).state())) << ice::ToString(p->agent(1).state());
  EXPECT_EQ(p->agent(0).stats().consent_expired, 0u);
  EXPECT_EQ(Exchange(*p), "1,1");
}

TEST(NetworkChange, StunOnlyRecoversToo) {
  auto p = ConnectedPair(Servers::kStun);
  ASSERT_NE(p, nullptr);
  const Recovery r = MoveAndRestart(*p);
  ASSERT_GE(r.reconnect.ms(), 0);
  EXPECT_LE(r.reconnect.ms(), 2000);
  EXPECT_EQ(Exchange(*p), "1,1");
}

TEST(NetworkChange, SameSeedSameTrace) {
  auto a = ConnectedPair(Servers::kStunTurn, 9);
  auto b = ConnectedPair(Servers::kStunTurn, 9);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  const Recovery ra = MoveAndRestart(*a);
  const Recovery rb = MoveAndRestart(*b);
  EXPECT_EQ(ra.hash, rb.hash);
  EXPECT_EQ(ra.reconnect, rb.reconnect);
}

// Without a restart: sends fail locally (no crash, nothing leaves A), and
// consent freshness fails both agents: disconnected after the configured
// 5 s without a consent response, failed 30 s after the last one (RFC 7675
// §5.1). A restart afterwards still recovers on the new address.
TEST(NetworkChange, WithoutRestartConsentFailsThenRestartRecovers) {
  auto p = ConnectedPair(Servers::kStun);
  ASSERT_NE(p, nullptr);
  p->network().RunFor(TimeDelta::Seconds(7));  // a consent round
  ASSERT_EQ(Exchange(*p), "1,1");
  const Timestamp change = p->network().now();
  ASSERT_TRUE(p->network().SetHostAddresses(&p->host(0), {kNewA}).ok());
  Timestamp disconnected = Timestamp::Infinite();
  Timestamp failed = Timestamp::Infinite();
  while (p->network().now() < change + TimeDelta::Seconds(45) &&
         (failed == Timestamp::Infinite() || p->agent(1).state() != IceConnectionState::kFailed)) {
    p->network().RunFor(TimeDelta::Millis(100));
    if (disconnected == Timestamp::Infinite() &&
        p->agent(0).state() == IceConnectionState::kDisconnected) {
      disconnected = p->network().now();
    }
    if (failed == Timestamp::Infinite() && p->agent(0).state() == IceConnectionState::kFailed) {
      failed = p->network().now();
    }
  }
  ASSERT_NE(disconnected, Timestamp::Infinite());
  ASSERT_NE(failed, Timestamp::Infinite());
  EXPECT_LE(disconnected - change, TimeDelta::Seconds(12));
  EXPECT_GE(failed - change, TimeDelta::Seconds(24));
  EXPECT_LE(failed - change, TimeDelta::Seconds(31));
  EXPECT_EQ(p->agent(1).state(), IceConnectionState::kFailed);
  EXPECT_GE(p->agent(0).stats().send_errors, 1u);

  ASSERT_TRUE(p->RestartIce().ok());
  const Timestamp restart = p->network().now();
  while (!p->Connected() && p->network().now() < restart + TimeDelta::Seconds(10)) {
    p->network().RunFor(TimeDelta::Millis(10));
  }
  ASSERT_TRUE(p->Connected()) << ice::ToString(p->agent(0).state()) << " / "
                              << ice::ToString(p->agent(1).state());
  EXPECT_LE(p->network().now() - restart, TimeDelta::Seconds(2));
  EXPECT_EQ(p->agent(0).stats().host_address_changes, 1u);
  EXPECT_EQ(p->agent(0).selected_pair()->local.base.ip(), kNewA);
  EXPECT_EQ(Exchange(*p), "1,1");
}

}  // namespace
}  // namespace rtcsim::conformance
