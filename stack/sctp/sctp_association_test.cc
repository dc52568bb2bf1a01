// SctpAssociation on two simnet hosts with plain UDP as the lower transport
// (the DTLS wiring comes later). The binary links the libc time interposer,
// so usrsctp's gettimeofday() reads see virtual time.
#include "stack/sctp/sctp_association.h"

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "simnet/network.h"
#include "simnet/testing/fresh_process.h"

namespace rtcsim::sctp {
namespace {

struct Received {
  uint16_t stream_id;
  uint32_t ppid;
  std::vector<uint8_t> payload;
};

struct Endpoint {
  simnet::Host* host = nullptr;
  simnet::Link* link = nullptr;
  std::unique_ptr<UdpSocket> socket;
  std::unique_ptr<SctpAssociation> sctp;
  std::vector<SctpState> states;
  std::vector<Received> received;
  std::vector<uint16_t> incoming_resets;
  std::vector<uint16_t> outgoing_resets;
  // on_buffered_amount_decreased: stream, previous, current.
  std::vector<std::tuple<uint16_t, size_t, size_t>> decreases;
};

// Two hosts behind one router; `loss` applies to both access links in both
// directions.
class Pair {
 public:
  explicit Pair(uint64_t seed, double loss = 0) : own_net_(seed), net_(own_net_) {
    router_ = *net_.AddRouter("internet");
    Build(loss, 0);
  }
  // A pair on an existing network, so several associations share one
  // process and one simulation.
  Pair(simnet::Network& net, double loss, int index, simnet::Router* router)
      : own_net_(0), net_(net), router_(router) {
    Build(loss, index);
  }

  void Connect() {
    ASSERT_TRUE(a_.sctp->Connect().ok());
    ASSERT_TRUE(b_.sctp->Connect().ok());
  }

  bool RunUntil(const std::function<bool()>& done, TimeDelta timeout = TimeDelta::Seconds(60)) {
    const Timestamp end = net_.now() + timeout;
    while (!done() && net_.now() < end) net_.RunFor(TimeDelta::Millis(10));
    return done();
  }

  bool RunUntilConnected() {
    return RunUntil([this] {
      return a_.sctp->state() == SctpState::kConnected && b_.sctp->state() == SctpState::kConnected;
    });
  }

  simnet::Network& net() { return net_; }
  Endpoint& a() { return a_; }
  Endpoint& b() { return b_; }

 private:
  void Build(double loss, int index) {
    const SocketAddress a_addr{IpAddress::V4(10, 0, index, 1), 4000};
    const SocketAddress b_addr{IpAddress::V4(10, 0, index, 2), 4000};
    Setup(a_, "a" + std::to_string(index), a_addr, b_addr, SctpRole::kClient, loss);
    Setup(b_, "b" + std::to_string(index), b_addr, a_addr, SctpRole::kServer, loss);
  }

  void Setup(Endpoint& e, const std::string& name, const SocketAddress& local,
             const SocketAddress& remote, SctpRole role, double loss) {
    e.host = *net_.AddHost(name, {local.ip()});
    simnet::LinkParams params;
    params.delay = TimeDelta::Millis(20);
    if (loss > 0) params.loss = simnet::LossModel::Bernoulli(loss);
    e.link = *net_.Connect(e.host, router_, params);
    e.socket = *e.host->env().BindUdp(local);
    Endpoint* ep = &e;
    SctpAssociation::Callbacks callbacks;
    callbacks.on_state = [ep](SctpState s) { ep->states.push_back(s); };
    callbacks.on_message = [ep](uint16_t sid, uint32_t ppid, absl::Span<const uint8_t> p) {
      ep->received.push_back({sid, ppid, std::vector<uint8_t>(p.begin(), p.end())});
    };
    callbacks.on_incoming_reset = [ep](absl::Span<const uint16_t> ids) {
      ep->incoming_resets.insert(ep->incoming_resets.end(), ids.begin(), ids.end());
    };
    callbacks.on_outgoing_reset = [ep](absl::Span<const uint16_t> ids) {
      ep->outgoing_resets.insert(ep->outgoing_resets.end(), ids.begin(), ids.end());
    };
    callbacks.on_buffered_amount_decreased = [ep](uint16_t sid, size_t previous, size_t current) {
      ep->decreases.emplace_back(sid, previous, current);
    };
    SctpConfig config;
    config.role = role;
    auto sctp = SctpAssociation::Create(
        e.host->env(), config,
        [ep, remote](absl::Span<const uint8_t> p) { return ep->socket->SendTo(remote, p); },
        std::move(callbacks));
    ASSERT_TRUE(sctp.ok()) << sctp.status();
    e.sctp = std::move(*sctp);
    e.socket->SetReceiveCallback([ep](const SocketAddress&, absl::Span<const uint8_t> p) {
      if (ep->sctp != nullptr) ep->sctp->HandlePacket(p);
    });
  }

  simnet::Network own_net_;
  simnet::Network& net_;
  simnet::Router* router_ = nullptr;
  Endpoint a_;
  Endpoint b_;
};

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

// Message i carries its index, so order and integrity are checkable.
std::vector<uint8_t> Numbered(int i, size_t size = 100) {
  std::vector<uint8_t> m(size);
  for (size_t k = 0; k < size; ++k) m[k] = static_cast<uint8_t>((i * 131 + k) & 0xff);
  m[0] = static_cast<uint8_t>(i & 0xff);
  m[1] = static_cast<uint8_t>(i >> 8);
  return m;
}
int NumberOf(const std::vector<uint8_t>& m) { return m[0] | (m[1] << 8); }

TEST(SctpAssociation, ComesUpAndExchangesMessages) {
  Pair pair(1);
  pair.Connect();
  ASSERT_TRUE(pair.RunUntilConnected());
  EXPECT_EQ(pair.a().states,
            (std::vector<SctpState>{SctpState::kConnecting, SctpState::kConnected}));
  ASSERT_TRUE(pair.a().sctp->Send(1, kPpidString, Bytes("hello")).ok());
  ASSERT_TRUE(pair.b().sctp->Send(2, kPpidBinary, Bytes("world")).ok());
  ASSERT_TRUE(
      pair.RunUntil([&] { return !pair.a().received.empty() && !pair.b().received.empty(); }));
  EXPECT_EQ(pair.b().received[0].stream_id, 1);
  EXPECT_EQ(pair.b().received[0].ppid, kPpidString);
  EXPECT_EQ(pair.b().received[0].payload, Bytes("hello"));
  EXPECT_EQ(pair.a().received[0].stream_id, 2);
  EXPECT_EQ(pair.a().received[0].ppid, kPpidBinary);
  EXPECT_EQ(pair.a().received[0].payload, Bytes("world"));
  // No loss, no retransmission (RFC 9260 §6.3.3 timers never expire).
  for (Endpoint* e : {&pair.a(), &pair.b()}) {
    EXPECT_EQ(e->sctp->stats().data_retransmissions, 0u);
    EXPECT_EQ(e->sctp->stats().packets_retransmitted, 0u);
  }
}

TEST(SctpAssociation, ThousandOrderedMessagesUnderLoss) {
  Pair pair(2, 0.05);
  pair.Connect();
  ASSERT_TRUE(pair.RunUntilConnected());
  constexpr int kCount = 1000;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(pair.a().sctp->Send(3, kPpidBinary, Numbered(i)).ok());
  }
  ASSERT_TRUE(
      pair.RunUntil([&] { return pair.b().received.size() >= kCount; }, TimeDelta::Seconds(300)))
      << pair.b().received.size();
  EXPECT_GT(pair.a().link->stats(0).lost + pair.a().link->stats(1).lost, 0u);
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ(pair.b().received[i].payload, Numbered(i)) << i;
    ASSERT_EQ(pair.b().received[i].stream_id, 3);
  }
  EXPECT_EQ(pair.a().sctp->buffered_amount(), 0u);
  // Lost DATA chunks were sent again; each retransmitting packet carries at
  // least one of them.
  const SctpStats& stats = pair.a().sctp->stats();
  EXPECT_GT(stats.data_retransmissions, 0u);
  EXPECT_GT(stats.packets_retransmitted, 0u);
  EXPECT_LE(stats.packets_retransmitted, stats.data_retransmissions);
  EXPECT_LT(stats.packets_retransmitted, stats.packets_sent);
}

// ---- SentTsnTracker ----

// One SCTP packet: common header (zeros suffice, the tracker skips it), then
// chunks as (type, tsn, payload bytes).
std::vector<uint8_t> Packet(const std::vector<std::tuple<uint8_t, uint32_t, size_t>>& chunks) {
  std::vector<uint8_t> p(12, 0);
  for (const auto& [type, tsn, payload] : chunks) {
    const size_t length = 16 + payload;  // RFC 9260 §3.3.1 DATA header
    p.push_back(type);
    p.push_back(0x03);  // B and E bits
    p.push_back(static_cast<uint8_t>(length >> 8));
    p.push_back(static_cast<uint8_t>(length));
    for (int shift : {24, 16, 8, 0}) p.push_back(static_cast<uint8_t>(tsn >> shift));
    p.resize(p.size() + 8 + payload, 0xab);  // sid, ssn, ppid, payload
    while (p.size() % 4 != 0) p.push_back(0);
  }
  return p;
}

TEST(SentTsnTracker, CountsResentTsnsWithSerialArithmetic) {
  SentTsnTracker t;
  EXPECT_EQ(t.Observe(Packet({{0, 100, 5}})), 0);
  EXPECT_EQ(t.Observe(Packet({{0, 101, 1}, {0, 102, 3}})), 0);
  // A bundle of one retransmission and one new chunk; a SACK (type 3) has
  // no TSN of a DATA chunk and is skipped.
  EXPECT_EQ(t.Observe(Packet({{3, 50, 4}, {0, 101, 1}, {0, 103, 2}})), 1);
  EXPECT_EQ(t.Observe(Packet({{0, 100, 5}, {0, 102, 3}})), 2);
  // I-DATA (RFC 8260) counts like DATA.
  EXPECT_EQ(t.Observe(Packet({{64, 103, 2}})), 1);

  // Wrap-around (RFC 1982): 0 follows 0xffffffff.
  SentTsnTracker w;
  EXPECT_EQ(w.Observe(Packet({{0, 0xfffffffe, 1}, {0, 0xffffffff, 1}})), 0);
  EXPECT_EQ(w.Observe(Packet({{0, 0, 1}, {0, 1, 1}})), 0);
  EXPECT_EQ(w.Observe(Packet({{0, 0xffffffff, 1}})), 1);
  EXPECT_EQ(w.Observe(Packet({{0, 2, 1}})), 0);
}

TEST(SentTsnTracker, MalformedPacketsAreWalkedWithinBounds) {
  SentTsnTracker t;
  EXPECT_EQ(t.Observe(Packet({{0, 10, 4}})), 0);
  const std::vector<uint8_t> full = Packet({{0, 10, 4}, {0, 10, 4}});
  // Every truncation: nothing read past the end, and a chunk counts only
  // once its TSN is inside the packet and its length field fits.
  for (size_t n = 0; n <= full.size(); ++n) {
    SentTsnTracker fresh;
    fresh.Observe(Packet({{0, 10, 4}}));
    const int r = fresh.Observe(absl::MakeConstSpan(full.data(), n));
    EXPECT_EQ(r, n < 32 ? 0 : (n < 52 ? 1 : 2)) << n;
  }
  // A zero chunk length or one beyond the packet stops the walk.
  std::vector<uint8_t> zero = Packet({{0, 10, 4}});
  zero[14] = 0;
  zero[15] = 0;
  EXPECT_EQ(t.Observe(zero), 0);
  std::vector<uint8_t> overlong = Packet({{0, 10, 4}});
  overlong[15] = 0xff;
  EXPECT_EQ(t.Observe(overlong), 0);
  EXPECT_EQ(t.Observe(std::vector<uint8_t>(5, 0)), 0);
  EXPECT_EQ(t.Observe({}), 0);
}

TEST(SctpAssociation, BufferedAmountPerStreamAndRemotePort) {
  Pair pair(11);
  // Queued before the association is up: counted per stream; DCEP and the
  // padding byte of an empty message are not application data.
  ASSERT_TRUE(pair.a().sctp->Send(1, kPpidBinary, Numbered(1, 300)).ok());
  ASSERT_TRUE(pair.a().sctp->Send(2, kPpidBinary, Numbered(2, 70)).ok());
  ASSERT_TRUE(pair.a().sctp->Send(1, kPpidString, Numbered(3, 30)).ok());
  ASSERT_TRUE(pair.a().sctp->Send(3, kPpidDcep, Bytes("\x02")).ok());
  ASSERT_TRUE(pair.a().sctp->Send(4, kPpidBinaryEmpty, {}).ok());
  EXPECT_EQ(pair.a().sctp->buffered_amount(1), 330u);
  EXPECT_EQ(pair.a().sctp->buffered_amount(2), 70u);
  EXPECT_EQ(pair.a().sctp->buffered_amount(3), 0u);
  EXPECT_EQ(pair.a().sctp->buffered_amount(4), 0u);
  EXPECT_EQ(pair.a().sctp->buffered_amount(), 400u);
  // The default remote port is the peer's: setting it again is allowed
  // before Connect, not after.
  ASSERT_TRUE(pair.a().sctp->SetRemotePort(kDefaultSctpPort).ok());
  pair.Connect();
  EXPECT_EQ(pair.a().sctp->SetRemotePort(5001).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(pair.RunUntil([&] { return pair.b().received.size() == 5; }));
  EXPECT_EQ(pair.a().sctp->buffered_amount(), 0u);
  EXPECT_EQ(pair.a().sctp->buffered_amount(1), 0u);
  // One report per hand-over, per stream, in queue order.
  EXPECT_EQ(pair.a().decreases, (std::vector<std::tuple<uint16_t, size_t, size_t>>{
                                    {1, 330, 30}, {2, 70, 0}, {1, 30, 0}}));
}

TEST(SctpAssociation, UnorderedDeliveryCompletes) {
  Pair pair(3, 0.05);
  pair.Connect();
  ASSERT_TRUE(pair.RunUntilConnected());
  constexpr int kCount = 300;
  SendOptions unordered;
  unordered.ordered = false;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(pair.a().sctp->Send(5, kPpidBinary, Numbered(i), unordered).ok());
  }
  ASSERT_TRUE(
      pair.RunUntil([&] { return pair.b().received.size() >= kCount; }, TimeDelta::Seconds(300)));
  std::set<int> seen;
  bool out_of_order = false;
  for (size_t k = 0; k < pair.b().received.size(); ++k) {
    const int n = NumberOf(pair.b().received[k].payload);
    EXPECT_EQ(pair.b().received[k].payload, Numbered(n));
    EXPECT_TRUE(seen.insert(n).second) << "duplicate " << n;
    if (k > 0 && n < NumberOf(pair.b().received[k - 1].payload)) out_of_order = true;
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kCount));
  // Under loss, unordered messages overtake retransmitted ones.
  EXPECT_TRUE(out_of_order);
}

TEST(SctpAssociation, PartialReliabilityLosesButNeverDuplicates) {
  Pair pair(4, 0.05);
  pair.Connect();
  ASSERT_TRUE(pair.RunUntilConnected());
  constexpr int kCount = 1000;
  SendOptions pr;
  pr.max_retransmits = 0;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(pair.a().sctp->Send(7, kPpidBinary, Numbered(i), pr).ok());
  }
  pair.RunUntil([&] { return false; }, TimeDelta::Seconds(30));
  std::set<int> seen;
  int last = -1;
  for (const Received& r : pair.b().received) {
    const int n = NumberOf(r.payload);
    EXPECT_EQ(r.payload, Numbered(n));
    EXPECT_TRUE(seen.insert(n).second) << "duplicate " << n;
    EXPECT_GT(n, last) << "ordered PR stream went backwards";
    last = n;
  }
  EXPECT_LT(seen.size(), static_cast<size_t>(kCount));
  EXPECT_GT(seen.size(), static_cast<size_t>(kCount * 8 / 10));
  EXPECT_GT(pair.a().sctp->stats().messages_abandoned, 0u);
}

TEST(SctpAssociation, LifetimeLimitedMessagesAreAccepted) {
  Pair pair(5, 0.05);
  pair.Connect();
  ASSERT_TRUE(pair.RunUntilConnected());
  SendOptions ttl;
  ttl.max_lifetime = TimeDelta::Millis(100);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(pair.a().sctp->Send(9, kPpidBinary, Numbered(i), ttl).ok());
  }
  pair.RunUntil([&] { return false; }, TimeDelta::Seconds(20));
  std::set<int> seen;
  for (const Received& r : pair.b().received) EXPECT_TRUE(seen.insert(NumberOf(r.payload)).second);
  EXPECT_GT(seen.size(), 100u);
}

TEST(SctpAssociation, LargeMessageAndLimit) {
  Pair pair(6, 0.05);
  pair.Connect();
  ASSERT_TRUE(pair.RunUntilConnected());
  std::vector<uint8_t> big(200 * 1024);
  for (size_t k = 0; k < big.size(); ++k) big[k] = static_cast<uint8_t>(k * 7 + (k >> 9));
  ASSERT_TRUE(pair.a().sctp->Send(1, kPpidBinary, big).ok());
  ASSERT_TRUE(pair.RunUntil([&] { return !pair.b().received.empty(); }, TimeDelta::Seconds(120)));
  ASSERT_EQ(pair.b().received.size(), 1u);
  EXPECT_EQ(pair.b().received[0].payload, big);
  std::vector<uint8_t> too_big(256 * 1024 + 1);
  EXPECT_EQ(pair.a().sctp->Send(1, kPpidBinary, too_big).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SctpAssociation, EmptyMessages) {
  Pair pair(7);
  pair.Connect();
  ASSERT_TRUE(pair.RunUntilConnected());
  ASSERT_TRUE(pair.a().sctp->Send(1, kPpidStringEmpty, {}).ok());
  ASSERT_TRUE(pair.a().sctp->Send(1, kPpidBinaryEmpty, {}).ok());
  EXPECT_FALSE(pair.a().sctp->Send(1, kPpidString, {}).ok());
  EXPECT_FALSE(pair.a().sctp->Send(1, kPpidStringEmpty, Bytes("x")).ok());
  ASSERT_TRUE(pair.RunUntil([&] { return pair.b().received.size() >= 2; }));
  EXPECT_EQ(pair.b().received[0].ppid, kPpidStringEmpty);
  EXPECT_TRUE(pair.b().received[0].payload.empty());
  EXPECT_EQ(pair.b().received[1].ppid, kPpidBinaryEmpty);
  EXPECT_TRUE(pair.b().received[1].payload.empty());
}

TEST(SctpAssociation, StreamResetIsNotified) {
  Pair pair(8);
  pair.Connect();
  ASSERT_TRUE(pair.RunUntilConnected());
  ASSERT_TRUE(pair.a().sctp->Send(4, kPpidString, Bytes("before reset")).ok());
  ASSERT_TRUE(pair.RunUntil([&] { return !pair.b().received.empty(); }));
  const std::vector<uint16_t> streams = {4};
  ASSERT_TRUE(pair.a().sctp->ResetStreams(streams).ok());
  ASSERT_TRUE(pair.RunUntil([&] { return !pair.b().incoming_resets.empty(); }));
  EXPECT_EQ(pair.b().incoming_resets, streams);
  ASSERT_TRUE(pair.RunUntil([&] { return !pair.a().outgoing_resets.empty(); }));
  EXPECT_EQ(pair.a().outgoing_resets, streams);
  // The stream is usable again after the reset (sequence numbers restart).
  ASSERT_TRUE(pair.a().sctp->Send(4, kPpidString, Bytes("after reset")).ok());
  ASSERT_TRUE(pair.RunUntil([&] { return pair.b().received.size() >= 2; }));
  EXPECT_EQ(pair.b().received[1].payload, Bytes("after reset"));
}

TEST(SctpAssociation, TwoAssociationsInOneSimulationDoNotInterfere) {
  simnet::Network net(9);
  simnet::Router* internet = *net.AddRouter("internet");
  Pair first(net, 0.02, 1, internet);
  Pair second(net, 0.02, 2, internet);
  first.Connect();
  second.Connect();
  ASSERT_TRUE(first.RunUntilConnected());
  ASSERT_TRUE(second.RunUntilConnected());
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(first.a().sctp->Send(1, kPpidBinary, Numbered(i)).ok());
    ASSERT_TRUE(second.a().sctp->Send(1, kPpidBinary, Numbered(1000 + i)).ok());
  }
  ASSERT_TRUE(first.RunUntil(
      [&] { return first.b().received.size() >= 200 && second.b().received.size() >= 200; },
      TimeDelta::Seconds(120)));
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(first.b().received[i].payload, Numbered(i));
    EXPECT_EQ(second.b().received[i].payload, Numbered(1000 + i));
  }
  EXPECT_EQ(first.b().received.size(), 200u);
  EXPECT_EQ(second.b().received.size(), 200u);
  // Closing one leaves the other working.
  first.a().sctp.reset();
  ASSERT_TRUE(second.a().sctp->Send(1, kPpidString, Bytes("still here")).ok());
  ASSERT_TRUE(second.RunUntil([&] { return second.b().received.size() >= 201; }));
  EXPECT_EQ(second.b().received.back().payload, Bytes("still here"));
}

std::string RunAndHash(uint64_t seed) {
  Pair pair(seed, 0.05);
  pair.Connect();
  EXPECT_TRUE(pair.RunUntilConnected());
  SendOptions pr;
  pr.max_retransmits = 1;
  for (int i = 0; i < 300; ++i) {
    EXPECT_TRUE(pair.a().sctp->Send(1, kPpidBinary, Numbered(i)).ok());
    EXPECT_TRUE(pair.b().sctp->Send(2, kPpidBinary, Numbered(i), pr).ok());
  }
  // Long enough for heartbeats (RFC 9260 §8.3), whose interval is jittered
  // with the stack's random numbers.
  pair.RunUntil([] { return false; }, TimeDelta::Seconds(90));
  return pair.net().trace().HashHex();
}

// Runs RunAndHash in a fresh child process. Each run needs a process of its
// own: usrsctp keeps process-wide state across simulations (a second
// simulation in the same process gets a different trace, see the report in
// sctp_association.h), while a fresh process reproduces the trace exactly.
std::string HashInFreshProcess(uint64_t seed) {
  auto hash = simnet::RunInFreshProcess([seed] { return RunAndHash(seed); });
  return hash.ok() ? *hash : std::string(hash.status().message());
}

TEST(SctpAssociation, SameSeedSameTraceInFreshProcesses) {
  const std::string first = HashInFreshProcess(42);
  const std::string second = HashInFreshProcess(42);
  EXPECT_EQ(first.size(), 16u) << first;
  EXPECT_EQ(first, second);
  EXPECT_NE(first, HashInFreshProcess(43));
}

}  // namespace
}  // namespace rtcsim::sctp
