// ICE timing in virtual time, measured from captures rather than from the
// agent's own bookkeeping: connection time on a clean 20 ms RTT path,
// completion under 30 % loss, check pacing (RFC 8445 §6.1.4.2, Ta) and the
// retransmission schedules of checks (RFC 8445 §14.3) and of Binding
// requests to a STUN server (RFC 8489 §6.2.1).
#include <algorithm>
#include <map>
#include <vector>

#include "conformance/ice/ice_pair.h"
#include "gtest/gtest.h"
#include "simnet/capture/pcapng_reader.h"
#include "stack/stun/stun_message.h"

namespace rtcsim::conformance {
namespace {

using ice::IceConnectionState;

// A Binding request seen leaving a host: when, to where, and whether it is a
// connectivity check (it carries USERNAME) or a request to a STUN server.
struct SeenRequest {
  Timestamp time;
  SocketAddress to;
  stun::TransactionId id;
  bool is_check = false;
};

std::vector<SeenRequest> BindingRequestsSent(const simnet::PcapngWriter& capture,
                                             const simnet::Host& host) {
  auto packets = simnet::ReadPcapng(capture.bytes());
  EXPECT_TRUE(packets.ok()) << packets.status();
  std::vector<SeenRequest> out;
  if (!packets.ok()) return out;
  for (const simnet::CapturedDatagram& d : *packets) {
    const auto& own = host.addresses();
    if (std::find(own.begin(), own.end(), d.src.ip()) == own.end()) continue;  // inbound
    if (!stun::LooksLikeStun(d.payload)) continue;
    auto m = stun::StunMessageView::Parse(d.payload);
    if (!m.ok() || m->method() != stun::StunMethod::kBinding ||
        m->message_class() != stun::StunClass::kRequest) {
      continue;
    }
    out.push_back({d.time, d.dst, m->transaction_id(), m->Has(stun::attr::kUsername)});
  }
  return out;
}

// Transmission times of each transaction, keyed by first transmission.
std::vector<std::vector<Timestamp>> Transmissions(const std::vector<SeenRequest>& seen,
                                                  bool checks) {
  std::map<stun::TransactionId, std::vector<Timestamp>> by_id;
  for (const SeenRequest& r : seen) {
    if (r.is_check == checks) by_id[r.id].push_back(r.time);
  }
  std::vector<std::vector<Timestamp>> out;
  for (auto& [id, times] : by_id) out.push_back(std::move(times));
  std::sort(out.begin(), out.end());
  return out;
}

IcePairOptions OpenPair() {
  IcePairOptions o;
  o.edges = {Edge{Edge::Kind::kOpen}, Edge{Edge::Kind::kOpen}};
  o.access_delay = TimeDelta::Millis(5);  // RTT 20 ms between the hosts
  o.signalling_delay = TimeDelta::Millis(10);
  o.capture = true;
  return o;
}

TEST(IceTiming, HostToHostOnA20msRttPathConnectsWithinAFewRtts) {
  auto pair = IcePair::Create(OpenPair());
  ASSERT_TRUE(pair.ok()) << pair.status();
  IcePair& p = **pair;
  ASSERT_TRUE(p.Start().ok());
  p.RunUntilSettled(TimeDelta::Seconds(5));
  ASSERT_TRUE(p.Connected());
  // Candidates arrive after the 10 ms signalling delay. Then the first check
  // goes out within one pacing slot (Ta = 50 ms), its response takes one RTT,
  // and the nominating check another: signalling + Ta + 3 RTT is generous.
  const TimeDelta rtt = TimeDelta::Millis(20);
  EXPECT_LE(p.connected_at() - Timestamp::Zero(),
            TimeDelta::Millis(10) + TimeDelta::Millis(50) + rtt * 3)
      << "connected at " << p.connected_at().ToString();
  EXPECT_EQ(p.SelectedPath(0), "host/host");
  EXPECT_EQ(p.SelectedPath(1), "host/host");
}

TEST(IceTiming, ThirtyPercentLossStillConnects) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    IcePairOptions o = OpenPair();
    o.seed = seed;
    o.capture = false;
    o.access_loss[0] = simnet::LossModel::Bernoulli(0.3);  // 30 % each way on the path
    auto pair = IcePair::Create(o);
    ASSERT_TRUE(pair.ok()) << pair.status();
    ASSERT_TRUE((*pair)->Start().ok());
    // Half of all round trips fail, and RFC 8489 retransmissions thin out
    // (the 7th send of a transaction goes 31.5 s after the first).
    (*pair)->RunUntilSettled(TimeDelta::Seconds(60));
    EXPECT_TRUE((*pair)->Connected())
        << "seed " << seed << ": " << ice::ToString((*pair)->agent(0).state()) << "/"
        << ice::ToString((*pair)->agent(1).state()) << " at "
        << (*pair)->network().now().ToString();
    const auto& lost =
        (*pair)->access_link(0).stats(0).lost + (*pair)->access_link(0).stats(1).lost;
    EXPECT_GT(lost, 0u) << "seed " << seed << ": the loss model dropped nothing";
  }
}

TEST(IceTiming, ChecksArePacedAtTaOnTheWire) {
  // Three addresses a side: nine pairs, and a 400 ms RTT so that several
  // checks go out before the first answer: checks queue up behind pacing.
  IcePairOptions o = OpenPair();
  o.addresses_per_host = 3;
  o.access_delay = TimeDelta::Millis(100);
  auto pair = IcePair::Create(o);
  ASSERT_TRUE(pair.ok()) << pair.status();
  IcePair& p = **pair;
  ASSERT_TRUE(p.Start().ok());
  p.RunUntilSettled(TimeDelta::Seconds(5));
  ASSERT_TRUE(p.Connected());
  p.network().RunFor(TimeDelta::Seconds(1));

  for (int side = 0; side < 2; ++side) {
    const auto firsts = Transmissions(BindingRequestsSent(*p.capture(side), p.host(side)), true);
    ASSERT_GE(firsts.size(), 5u) << "side " << side;
    // RFC 8445 §6.1.4.2: a new check (ordinary or triggered) at most once
    // every Ta; with pairs waiting, exactly every Ta.
    std::vector<Timestamp> starts;
    for (const auto& t : firsts) starts.push_back(t.front());
    int exactly_ta = 0;
    for (size_t k = 1; k < starts.size(); ++k) {
      const TimeDelta gap = starts[k] - starts[k - 1];
      EXPECT_GE(gap, TimeDelta::Millis(50)) << "side " << side << " check " << k;
      if (gap == TimeDelta::Millis(50)) ++exactly_ta;
    }
    EXPECT_GE(exactly_ta, 3) << "side " << side << ": checks were not sent back to back at Ta";
  }
}

TEST(IceTiming, UnansweredChecksBackOffPerRfc8445) {
  IcePairOptions o = OpenPair();
  auto pair = IcePair::Create(o);
  ASSERT_TRUE(pair.ok()) << pair.status();
  IcePair& p = **pair;
  p.access_link(1).SetUp(false);  // B never hears A's checks
  ASSERT_TRUE(p.Start().ok());
  p.network().RunFor(TimeDelta::Seconds(60));
  EXPECT_EQ(p.agent(0).state(), IceConnectionState::kFailed);

  const auto txs = Transmissions(BindingRequestsSent(*p.capture(0), p.host(0)), true);
  ASSERT_EQ(txs.size(), 1u);  // one pair, one transaction
  const std::vector<Timestamp>& t = txs[0];
  // RFC 8445 §14.3 with one pair: RTO = MAX(500 ms, Ta·N) = 500 ms; RFC 8489
  // §6.2.1 doubles it after each send, Rc = 7 sends in all.
  ASSERT_EQ(t.size(), 7u);
  TimeDelta expected = TimeDelta::Millis(500);
  for (size_t k = 1; k < t.size(); ++k) {
    EXPECT_EQ(t[k] - t[k - 1], expected) << "interval " << k;
    expected = expected * 2;
  }
}

TEST(IceTiming, StunServerRetransmissionsFollowRfc8489) {
  IcePairOptions o = OpenPair();
  // A STUN server nobody answers for: the address routes nowhere.
  ice::IceServer silent;
  silent.type = ice::IceServer::Type::kStun;
  silent.address = *SocketAddress::Parse("198.51.100.99:3478");
  o.agent_config.servers = {silent};
  auto pair = IcePair::Create(o);
  ASSERT_TRUE(pair.ok()) << pair.status();
  IcePair& p = **pair;
  ASSERT_TRUE(p.Start().ok());
  p.network().RunFor(TimeDelta::Seconds(60));

  std::vector<Timestamp> sends;
  for (const SeenRequest& r : BindingRequestsSent(*p.capture(0), p.host(0))) {
    if (r.to == silent.address) sends.push_back(r.time);
  }
  // RFC 8489 §6.2.1: RTO 500 ms, Rc 7: sent at 0, 0.5, 1.5, 3.5, 7.5, 15.5
  // and 31.5 s.
  ASSERT_EQ(sends.size(), 7u);
  const int64_t offsets_ms[] = {0, 500, 1500, 3500, 7500, 15500, 31500};
  for (size_t k = 0; k < sends.size(); ++k) {
    EXPECT_EQ(sends[k] - sends[0], TimeDelta::Millis(offsets_ms[k])) << "send " << k;
  }
  // Gathering completes once the transaction gives up, Rm·RTO = 8 s after
  // the last send, and the host candidate still connects the call.
  EXPECT_EQ(p.agent(0).gathering_state(), ice::IceGatheringState::kComplete);
  EXPECT_TRUE(p.Connected());
}

}  // namespace
}  // namespace rtcsim::conformance
