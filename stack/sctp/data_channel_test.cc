// DataChannelManager on two simnet hosts with plain UDP under SCTP (the
// association tests' wiring; DTLS comes later). The binary links the libc
// time and usrsctp random interposers, so usrsctp runs on virtual time.
#include "stack/sctp/data_channel.h"

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "simnet/network.h"
#include "stack/sctp/dcep_message.h"

namespace rtcsim::sctp {
namespace {

// An SCTP DATA chunk seen on the wire (RFC 9260 §3.3.1).
struct WireData {
  uint16_t stream_id;
  uint32_t ppid;
  bool unordered;
  std::vector<uint8_t> payload;
};

// Pulls the DATA chunks out of one SCTP packet, so tests can check the exact
// DCEP bytes and the U bit without trusting the code under test; and the
// streams named by outgoing SSN reset requests (RFC 6525 §4.1: RE-CONFIG
// chunk 130, parameter 13).
void TapDataChunks(absl::Span<const uint8_t> p, std::vector<WireData>& out,
                   std::set<uint16_t>* resets = nullptr) {
  size_t at = 12;  // common header
  while (at + 4 <= p.size()) {
    const uint8_t type = p[at];
    const uint8_t flags = p[at + 1];
    const size_t length = (p[at + 2] << 8) | p[at + 3];
    if (length < 4 || at + length > p.size()) return;
    if (type == 0 && length >= 16) {
      WireData d;
      d.stream_id = static_cast<uint16_t>((p[at + 8] << 8) | p[at + 9]);
      d.ppid = (uint32_t{p[at + 12]} << 24) | (p[at + 13] << 16) | (p[at + 14] << 8) | p[at + 15];
      d.unordered = (flags & 0x04) != 0;
      d.payload.assign(p.begin() + at + 16, p.begin() + at + length);
      out.push_back(std::move(d));
    }
    if (type == 130 && resets != nullptr) {
      size_t param = at + 4;
      while (param + 4 <= at + length) {
        const uint16_t ptype = static_cast<uint16_t>((p[param] << 8) | p[param + 1]);
        const size_t plen = (p[param + 2] << 8) | p[param + 3];
        if (plen < 4 || param + plen > at + length) break;
        if (ptype == 13) {
          for (size_t k = param + 16; k + 2 <= param + plen; k += 2) {
            resets->insert(static_cast<uint16_t>((p[k] << 8) | p[k + 1]));
          }
        }
        param += (plen + 3) & ~size_t{3};
      }
    }
    at += (length + 3) & ~size_t{3};
  }
}

struct Message {
  uint16_t channel;
  std::vector<uint8_t> data;
  bool binary;
};

struct Endpoint {
  simnet::Host* host = nullptr;
  std::unique_ptr<UdpSocket> socket;
  std::unique_ptr<DataChannelManager> dcm;
  std::vector<std::shared_ptr<DataChannel>> remote_channels;  // on_data_channel
  std::vector<Message> received;
  std::vector<WireData> wire;         // DATA chunks this endpoint sent
  std::set<uint16_t> reset_requests;  // streams it asked to reset
};

struct PairOptions {
  double loss = 0;
  // False: both managers are created with SctpConfig's defaults (client
  // role, peer port 5000) and the test calls Start() with the real ones.
  bool preset = true;
  uint16_t a_port = kDefaultSctpPort;
  uint16_t b_port = kDefaultSctpPort;
  size_t b_max_message_size = 256 * 1024;
};

class Pair {
 public:
  explicit Pair(uint64_t seed, double loss = 0) : Pair(seed, PairOptions{.loss = loss}) {}
  Pair(uint64_t seed, const PairOptions& o) : net_(seed) {
    router_ = *net_.AddRouter("internet");
    const SocketAddress a_addr{IpAddress::V4(10, 0, 0, 1), 4000};
    const SocketAddress b_addr{IpAddress::V4(10, 0, 0, 2), 4000};
    SctpConfig a;
    a.local_port = o.a_port;
    SctpConfig b;
    b.local_port = o.b_port;
    b.max_message_size = o.b_max_message_size;
    if (o.preset) {
      a.role = SctpRole::kClient;
      a.remote_port = o.b_port;
      b.role = SctpRole::kServer;
      b.remote_port = o.a_port;
    }
    Setup(a_, "a", a_addr, b_addr, a, o.loss);
    Setup(b_, "b", b_addr, a_addr, b, o.loss);
  }

  void Connect() {
    ASSERT_TRUE(a_.dcm->sctp()->Connect().ok());
    ASSERT_TRUE(b_.dcm->sctp()->Connect().ok());
  }
  bool RunUntil(const std::function<bool()>& done, TimeDelta timeout = TimeDelta::Seconds(60)) {
    const Timestamp end = net_.now() + timeout;
    while (!done() && net_.now() < end) net_.RunFor(TimeDelta::Millis(10));
    return done();
  }
  bool RunUntilConnected() {
    return RunUntil([this] {
      return a_.dcm->sctp()->state() == SctpState::kConnected &&
             b_.dcm->sctp()->state() == SctpState::kConnected;
    });
  }
  // Records every message of `channel` into `e.received`.
  static void Collect(Endpoint& e, DataChannel& channel) {
    const uint16_t id = channel.id().value();
    Endpoint* ep = &e;
    channel.set_on_message([ep, id](absl::Span<const uint8_t> d, bool binary) {
      ep->received.push_back({id, std::vector<uint8_t>(d.begin(), d.end()), binary});
    });
  }

  Endpoint& a() { return a_; }
  Endpoint& b() { return b_; }

 private:
  void Setup(Endpoint& e, const std::string& name, const SocketAddress& local,
             const SocketAddress& remote, const SctpConfig& config, double loss) {
    e.host = *net_.AddHost(name, {local.ip()});
    simnet::LinkParams params;
    params.delay = TimeDelta::Millis(20);
    if (loss > 0) params.loss = simnet::LossModel::Bernoulli(loss);
    ASSERT_TRUE(net_.Connect(e.host, router_, params).ok());
    e.socket = *e.host->env().BindUdp(local);
    Endpoint* ep = &e;
    auto dcm = DataChannelManager::Create(e.host->env(), config,
                                          [ep, remote](absl::Span<const uint8_t> p) {
                                            TapDataChunks(p, ep->wire, &ep->reset_requests);
                                            return ep->socket->SendTo(remote, p);
                                          });
    ASSERT_TRUE(dcm.ok()) << dcm.status();
    e.dcm = std::move(*dcm);
    e.dcm->set_on_data_channel([ep](std::shared_ptr<DataChannel> ch) {
      Collect(*ep, *ch);
      ep->remote_channels.push_back(std::move(ch));
    });
    e.socket->SetReceiveCallback([ep](const SocketAddress&, absl::Span<const uint8_t> p) {
      if (ep->dcm != nullptr) ep->dcm->sctp()->HandlePacket(p);
    });
  }

  simnet::Network net_;
  simnet::Router* router_ = nullptr;
  Endpoint a_;
  Endpoint b_;
};

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

std::vector<uint8_t> Numbered(int i, size_t size = 100) {
  std::vector<uint8_t> m(size);
  for (size_t k = 0; k < size; ++k) m[k] = static_cast<uint8_t>((i * 131 + k) & 0xff);
  m[0] = static_cast<uint8_t>(i & 0xff);
  m[1] = static_cast<uint8_t>(i >> 8);
  return m;
}
int NumberOf(const std::vector<uint8_t>& m) { return m[0] | (m[1] << 8); }

// The DCEP messages an endpoint put on the wire, in order.
std::vector<WireData> DcepOnWire(const Endpoint& e) {
  std::vector<WireData> out;
  std::set<std::vector<uint8_t>> seen;  // retransmissions carry the same bytes
  for (const WireData& d : e.wire) {
    if (d.ppid == kPpidDcep && seen.insert(d.payload).second) out.push_back(d);
  }
  return out;
}

// ---- DCEP parser ----

TEST(DcepMessage, OpenRoundTripsWithExactBytes) {
  DcepOpen open;
  open.channel_type = DcepChannelType::kPartialReliableRexmitUnordered;
  open.priority = kPriorityMedium;
  open.reliability_parameter = 3;
  open.label = "ab";
  open.protocol = "xyz";
  auto bytes = SerializeDcepOpen(open);
  ASSERT_TRUE(bytes.ok());
  // RFC 8832 §5.1 layout.
  const std::vector<uint8_t> expected = {0x03, 0x81, 0x02, 0x00, 0,   0,   0,   3,  0,
                                         2,    0,    3,    'a',  'b', 'x', 'y', 'z'};
  EXPECT_EQ(*bytes, expected);
  auto parsed = ParseDcepMessage(*bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(std::get<DcepOpen>(*parsed), open);
  EXPECT_EQ(SerializeDcepAck(), std::vector<uint8_t>{0x02});
  EXPECT_TRUE(std::holds_alternative<DcepAck>(*ParseDcepMessage(SerializeDcepAck())));
}

TEST(DcepMessage, RejectsMalformed) {
  auto open = *SerializeDcepOpen({.label = "chat", .protocol = "p"});
  for (size_t n = 0; n < open.size(); ++n) {
    EXPECT_FALSE(ParseDcepMessage(absl::MakeSpan(open.data(), n)).ok()) << n;
  }
  std::vector<uint8_t> trailing = open;
  trailing.push_back(0);
  EXPECT_NE(ParseDcepMessage(trailing).status().message().find("trailing"), std::string::npos);
  std::vector<uint8_t> bad_type = open;
  bad_type[0] = 0x04;
  EXPECT_NE(ParseDcepMessage(bad_type).status().message().find("unknown message type"),
            std::string::npos);
  std::vector<uint8_t> bad_channel = open;
  bad_channel[1] = 0x03;
  EXPECT_NE(ParseDcepMessage(bad_channel).status().message().find("unknown channel type"),
            std::string::npos);
  EXPECT_FALSE(ParseDcepMessage(std::vector<uint8_t>{0x02, 0x00}).ok());
  EXPECT_FALSE(SerializeDcepOpen({.label = std::string(70000, 'x')}).ok());
}

// ---- Channels on simnet ----

TEST(DataChannel, InBandOpenBothDirectionsWithEvenAndOddIds) {
  Pair pair(1);
  pair.Connect();
  auto a1 = pair.a().dcm->CreateDataChannel("from-a", {.protocol = "chat"});
  auto a2 = pair.a().dcm->CreateDataChannel("from-a-2", {});
  auto b1 = pair.b().dcm->CreateDataChannel("from-b", {});
  ASSERT_TRUE(a1.ok() && a2.ok() && b1.ok());
  // RFC 8832 §6: DTLS client even, server odd.
  EXPECT_EQ((*a1)->id(), 0);
  EXPECT_EQ((*a2)->id(), 2);
  EXPECT_EQ((*b1)->id(), 1);
  EXPECT_EQ((*a1)->state(), DataChannelState::kConnecting);
  int opened = 0;
  for (auto* ch : {&*a1, &*a2, &*b1}) (*ch)->set_on_open([&] { ++opened; });
  ASSERT_TRUE(pair.RunUntil([&] { return opened == 3; }));
  ASSERT_EQ(pair.b().remote_channels.size(), 2u);
  ASSERT_EQ(pair.a().remote_channels.size(), 1u);
  EXPECT_EQ(pair.b().remote_channels[0]->label(), "from-a");
  EXPECT_EQ(pair.b().remote_channels[0]->protocol(), "chat");
  EXPECT_EQ(pair.b().remote_channels[0]->id(), 0);
  EXPECT_EQ(pair.b().remote_channels[0]->state(), DataChannelState::kOpen);
  EXPECT_EQ(pair.a().remote_channels[0]->label(), "from-b");
  EXPECT_EQ(pair.a().remote_channels[0]->id(), 1);

  Pair::Collect(pair.a(), **a1);
  ASSERT_TRUE((*a1)->Send("hello").ok());
  ASSERT_TRUE(pair.b().remote_channels[0]->Send("back").ok());
  ASSERT_TRUE(pair.a().remote_channels[0]->Send("to b").ok());
  Pair::Collect(pair.b(), **b1);
  ASSERT_TRUE(pair.RunUntil(
      [&] { return pair.b().received.size() >= 2 && pair.a().received.size() >= 1; }));
  // b gets "hello" on a's channel 0 and "to b" on its own channel 1.
  std::multiset<std::pair<uint16_t, std::vector<uint8_t>>> at_b;
  for (const Message& m : pair.b().received) at_b.insert({m.channel, m.data});
  EXPECT_EQ(at_b, (std::multiset<std::pair<uint16_t, std::vector<uint8_t>>>{{0, Bytes("hello")},
                                                                            {1, Bytes("to b")}}));
  ASSERT_EQ(pair.a().received.size(), 1u);
  EXPECT_EQ(pair.a().received[0].channel, 0);
  EXPECT_EQ(pair.a().received[0].data, Bytes("back"));
  EXPECT_EQ(pair.a().dcm->stats().dcep_opens_sent, 2u);
  EXPECT_EQ(pair.a().dcm->stats().dcep_acks_sent, 1u);
}

TEST(DataChannel, MessagesBeforeAckGoOutOrdered) {
  Pair pair(2);
  pair.Connect();
  auto ch = pair.a().dcm->CreateDataChannel("early", {.ordered = false});
  ASSERT_TRUE(ch.ok());
  // RFC 8832 §6: allowed before the ACK, but sent ordered.
  ASSERT_TRUE((*ch)->Send("early").ok());
  ASSERT_TRUE(pair.RunUntil([&] { return (*ch)->state() == DataChannelState::kOpen; }));
  ASSERT_TRUE((*ch)->Send("late").ok());
  ASSERT_TRUE(pair.RunUntil([&] { return pair.b().received.size() >= 2; }));
  EXPECT_EQ(pair.b().received[0].data, Bytes("early"));
  bool early_ordered = false, late_unordered = false;
  for (const WireData& d : pair.a().wire) {
    if (d.payload == Bytes("early")) early_ordered = !d.unordered;
    if (d.payload == Bytes("late")) late_unordered = d.unordered;
  }
  EXPECT_TRUE(early_ordered);
  EXPECT_TRUE(late_unordered);
}

TEST(DataChannel, NegotiatedChannelOpensWithoutDcep) {
  Pair pair(3);
  auto a = pair.a().dcm->CreateDataChannel("n", {.negotiated = true, .id = 7});
  auto b = pair.b().dcm->CreateDataChannel("n", {.negotiated = true, .id = 7});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(pair.a().dcm->CreateDataChannel("dup", {.negotiated = true, .id = 7}).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_FALSE(pair.a().dcm->CreateDataChannel("noid", {.negotiated = true}).ok());
  pair.Connect();
  ASSERT_TRUE(pair.RunUntil([&] {
    return (*a)->state() == DataChannelState::kOpen && (*b)->state() == DataChannelState::kOpen;
  }));
  Pair::Collect(pair.b(), **b);
  ASSERT_TRUE((*a)->Send("negotiated").ok());
  ASSERT_TRUE(pair.RunUntil([&] { return !pair.b().received.empty(); }));
  EXPECT_EQ(pair.b().received[0].channel, 7);
  EXPECT_TRUE(pair.b().remote_channels.empty());
  EXPECT_TRUE(DcepOnWire(pair.a()).empty());
  EXPECT_TRUE(DcepOnWire(pair.b()).empty());
  // Created on a live association: opens from a posted task.
  auto late = pair.a().dcm->CreateDataChannel("late", {.negotiated = true, .id = 9});
  ASSERT_TRUE(late.ok());
  bool opened = false;
  (*late)->set_on_open([&] { opened = true; });
  ASSERT_TRUE(pair.RunUntil([&] { return opened; }));
}

TEST(DataChannel, ThousandOrderedMessagesUnderLoss) {
  Pair pair(4, 0.05);
  pair.Connect();
  auto ch = pair.a().dcm->CreateDataChannel("bulk", {});
  ASSERT_TRUE(ch.ok());
  constexpr int kCount = 1000;
  for (int i = 0; i < kCount; ++i) ASSERT_TRUE((*ch)->SendBinary(Numbered(i)).ok());
  ASSERT_TRUE(
      pair.RunUntil([&] { return pair.b().received.size() >= kCount; }, TimeDelta::Seconds(300)))
      << pair.b().received.size();
  ASSERT_EQ(pair.b().received.size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ(pair.b().received[i].data, Numbered(i)) << i;
    ASSERT_TRUE(pair.b().received[i].binary);
  }
  EXPECT_EQ((*ch)->state(), DataChannelState::kOpen);
  EXPECT_EQ((*ch)->buffered_amount(), 0u);
}

TEST(DataChannel, ChannelTypesOnTheWire) {
  Pair pair(5, 0.05);
  pair.Connect();
  auto unordered = pair.a().dcm->CreateDataChannel("u", {.ordered = false});
  auto rexmit = pair.a().dcm->CreateDataChannel(
      "r", {.ordered = false, .max_retransmits = 0, .priority = kPriorityHigh});
  auto timed = pair.a().dcm->CreateDataChannel(
      "t", {.max_packet_life_time = TimeDelta::Millis(500), .protocol = "p"});
  ASSERT_TRUE(unordered.ok() && rexmit.ok() && timed.ok());
  EXPECT_FALSE(pair.a()
                   .dcm
                   ->CreateDataChannel(
                       "both", {.max_retransmits = 1, .max_packet_life_time = TimeDelta::Millis(1)})
                   .ok());
  ASSERT_TRUE(pair.RunUntil([&] { return pair.b().remote_channels.size() == 3; }));
  const std::vector<WireData> dcep = DcepOnWire(pair.a());
  ASSERT_EQ(dcep.size(), 3u);
  // RFC 8832 §5.1: type, channel type, priority, reliability, lengths.
  EXPECT_EQ(dcep[0].stream_id, 0);
  EXPECT_EQ(dcep[0].payload,
            (std::vector<uint8_t>{0x03, 0x80, 0x01, 0x00, 0, 0, 0, 0, 0, 1, 0, 0, 'u'}));
  EXPECT_EQ(dcep[1].stream_id, 2);
  EXPECT_EQ(dcep[1].payload,
            (std::vector<uint8_t>{0x03, 0x81, 0x04, 0x00, 0, 0, 0, 0, 0, 1, 0, 0, 'r'}));
  EXPECT_EQ(dcep[2].stream_id, 4);
  EXPECT_EQ(dcep[2].payload,
            (std::vector<uint8_t>{0x03, 0x02, 0x01, 0x00, 0, 0, 0x01, 0xf4, 0, 1, 0, 1, 't', 'p'}));
  for (const WireData& d : dcep) EXPECT_FALSE(d.unordered) << "DCEP must be ordered (§6)";
  // The receiver took the types from the OPEN.
  EXPECT_FALSE(pair.b().remote_channels[0]->ordered());
  EXPECT_EQ(pair.b().remote_channels[1]->max_retransmits(), 0);
  EXPECT_EQ(pair.b().remote_channels[1]->priority(), kPriorityHigh);
  EXPECT_EQ(pair.b().remote_channels[2]->max_packet_life_time(), TimeDelta::Millis(500));
  ASSERT_TRUE(pair.RunUntil([&] {
    return (*unordered)->state() == DataChannelState::kOpen &&
           (*rexmit)->state() == DataChannelState::kOpen;
  }));

  constexpr int kCount = 300;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE((*unordered)->SendBinary(Numbered(i)).ok());
    ASSERT_TRUE((*rexmit)->SendBinary(Numbered(i)).ok());
  }
  pair.RunUntil([] { return false; }, TimeDelta::Seconds(60));
  std::set<int> seen_u, seen_r;
  for (const Message& m : pair.b().received) {
    const int n = NumberOf(m.data);
    EXPECT_EQ(m.data, Numbered(n));
    auto& seen = m.channel == 0 ? seen_u : seen_r;
    EXPECT_TRUE(seen.insert(n).second) << "duplicate " << n << " on " << m.channel;
  }
  EXPECT_EQ(seen_u.size(), static_cast<size_t>(kCount));  // reliable
  EXPECT_LT(seen_r.size(), static_cast<size_t>(kCount));  // 0 retransmissions under loss
  EXPECT_GT(pair.a().dcm->sctp()->stats().messages_abandoned, 0u);
  for (const WireData& d : pair.a().wire) {
    if (d.ppid == kPpidBinary && (d.stream_id == 0 || d.stream_id == 2)) {
      ASSERT_TRUE(d.unordered) << "stream " << d.stream_id;
    }
  }
}

TEST(DataChannel, StringBinaryAndEmptyMessages) {
  Pair pair(6);
  pair.Connect();
  auto ch = pair.a().dcm->CreateDataChannel("m", {});
  ASSERT_TRUE(ch.ok());
  ASSERT_TRUE(pair.RunUntil([&] { return (*ch)->state() == DataChannelState::kOpen; }));
  ASSERT_TRUE((*ch)->Send("text").ok());
  ASSERT_TRUE((*ch)->SendBinary(Bytes("bin")).ok());
  ASSERT_TRUE((*ch)->Send("").ok());
  ASSERT_TRUE((*ch)->SendBinary({}).ok());
  EXPECT_EQ((*ch)->SendBinary(std::vector<uint8_t>(256 * 1024 + 1)).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(pair.RunUntil([&] { return pair.b().received.size() >= 4; }));
  const auto& r = pair.b().received;
  EXPECT_EQ(r[0].data, Bytes("text"));
  EXPECT_FALSE(r[0].binary);
  EXPECT_EQ(r[1].data, Bytes("bin"));
  EXPECT_TRUE(r[1].binary);
  EXPECT_TRUE(r[2].data.empty());
  EXPECT_FALSE(r[2].binary);
  EXPECT_TRUE(r[3].data.empty());
  EXPECT_TRUE(r[3].binary);
  std::vector<uint32_t> ppids;
  for (const WireData& d : pair.a().wire) {
    if (d.ppid != kPpidDcep) ppids.push_back(d.ppid);
  }
  EXPECT_EQ(ppids, (std::vector<uint32_t>{51, 53, 56, 57}));
}

TEST(DataChannel, CloseResetsBothSides) {
  Pair pair(7);
  pair.Connect();
  auto ch = pair.a().dcm->CreateDataChannel("c", {});
  ASSERT_TRUE(ch.ok());
  ASSERT_TRUE(pair.RunUntil([&] { return !pair.b().remote_channels.empty(); }));
  std::shared_ptr<DataChannel> remote = pair.b().remote_channels[0];
  bool a_closed = false, b_closed = false;
  (*ch)->set_on_close([&] { a_closed = true; });
  remote->set_on_close([&] { b_closed = true; });
  (*ch)->Close();
  EXPECT_EQ((*ch)->state(), DataChannelState::kClosing);
  EXPECT_EQ((*ch)->Send("x").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(pair.RunUntil([&] { return a_closed && b_closed; }));
  EXPECT_EQ((*ch)->state(), DataChannelState::kClosed);
  EXPECT_EQ(remote->state(), DataChannelState::kClosed);
  EXPECT_EQ(pair.a().dcm->channel_count(), 0u);
  EXPECT_EQ(pair.b().dcm->channel_count(), 0u);
  // Both directions are reset, so stream 0 is free for a new channel.
  auto again = pair.a().dcm->CreateDataChannel("again", {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->id(), 0);
  ASSERT_TRUE(pair.RunUntil([&] { return (*again)->state() == DataChannelState::kOpen; }));
  ASSERT_EQ(pair.b().remote_channels.size(), 2u);
  EXPECT_EQ(pair.b().remote_channels[1]->label(), "again");
}

TEST(DataChannel, MalformedDcepAndUnknownStreamsAreDroppedAndCounted) {
  Pair pair(8);
  pair.Connect();
  ASSERT_TRUE(pair.RunUntilConnected());
  SctpAssociation* raw_b = pair.b().dcm->sctp();
  // Garbage with the DCEP PPID, a truncated OPEN, an OPEN with the wrong
  // parity for the server (even), a stray ACK, and user data on a stream with
  // no channel.
  ASSERT_TRUE(raw_b->Send(3, kPpidDcep, Bytes("\x07junk")).ok());
  auto open = *SerializeDcepOpen({.label = "x"});
  ASSERT_TRUE(raw_b->Send(5, kPpidDcep, absl::MakeSpan(open.data(), open.size() - 1)).ok());
  ASSERT_TRUE(raw_b->Send(4, kPpidDcep, open).ok());
  ASSERT_TRUE(raw_b->Send(9, kPpidDcep, SerializeDcepAck()).ok());
  ASSERT_TRUE(raw_b->Send(11, kPpidString, Bytes("who")).ok());
  ASSERT_TRUE(pair.RunUntil([&] {
    const auto& s = pair.a().dcm->stats();
    return s.dcep_malformed >= 4 && s.unknown_stream_dropped >= 1;
  }));
  EXPECT_EQ(pair.a().dcm->stats().dcep_malformed, 4u);
  EXPECT_EQ(pair.a().dcm->stats().unknown_stream_dropped, 1u);
  EXPECT_TRUE(pair.a().remote_channels.empty());
  EXPECT_EQ(pair.a().dcm->stats().dcep_acks_sent, 0u);
  // RFC 8832 §6: each refused DCEP stream is reset; user data is not (see
  // DataChannelManager::OnMessage).
  ASSERT_TRUE(pair.RunUntil([&] { return pair.a().reset_requests.size() >= 4; }));
  EXPECT_EQ(pair.a().reset_requests, (std::set<uint16_t>{3, 4, 5, 9}));
  EXPECT_EQ(pair.a().dcm->stats().refused_stream_resets, 4u);
  // A valid OPEN afterwards still works.
  ASSERT_TRUE(raw_b->Send(13, kPpidDcep, open).ok());
  ASSERT_TRUE(pair.RunUntil([&] { return !pair.a().remote_channels.empty(); }));
  EXPECT_EQ(pair.a().remote_channels[0]->id(), 13);
}

TEST(DataChannel, RefusedDcepAndBadMessagesWithExactCounters) {
  Pair pair(9, PairOptions{.b_max_message_size = 512 * 1024});
  pair.Connect();
  ASSERT_TRUE(pair.RunUntilConnected());
  SctpAssociation* raw_b = pair.b().dcm->sctp();
  const DataChannelStats& stats = pair.a().dcm->stats();
  auto settle = [&] { pair.RunUntil([] { return false; }, TimeDelta::Seconds(2)); };

  // A DCEP message of an unknown type (RFC 8832 §8.2.1 assigns 0x02, 0x03).
  ASSERT_TRUE(raw_b->Send(3, kPpidDcep, std::vector<uint8_t>{0x07, 'j', 'u', 'n', 'k'}).ok());
  settle();
  EXPECT_EQ(stats.dcep_malformed, 1u);
  EXPECT_EQ(stats.refused_stream_resets, 1u);
  EXPECT_EQ(pair.a().reset_requests, (std::set<uint16_t>{3}));

  // An OPEN whose label length (10) runs past the message (RFC 8832 §7).
  std::vector<uint8_t> long_label = *SerializeDcepOpen({.label = "x"});
  long_label[9] = 10;
  ASSERT_TRUE(raw_b->Send(5, kPpidDcep, long_label).ok());
  settle();
  EXPECT_EQ(stats.dcep_malformed, 2u);
  EXPECT_EQ(stats.refused_stream_resets, 2u);
  EXPECT_EQ(pair.a().reset_requests, (std::set<uint16_t>{3, 5}));

  // A good OPEN on a stream of the client's parity: b has a negotiated
  // channel there that a knows nothing of; a's reset frees it (RFC 8832 §6).
  auto b4 = pair.b().dcm->CreateDataChannel("b4", {.negotiated = true, .id = 4});
  ASSERT_TRUE(b4.ok());
  ASSERT_TRUE(pair.RunUntil([&] { return (*b4)->state() == DataChannelState::kOpen; }));
  bool b4_closed = false;
  (*b4)->set_on_close([&] { b4_closed = true; });
  const std::vector<uint8_t> open = *SerializeDcepOpen({.label = "y"});
  ASSERT_TRUE(raw_b->Send(4, kPpidDcep, open).ok());
  ASSERT_TRUE(pair.RunUntil([&] { return b4_closed; }));
  EXPECT_EQ(stats.dcep_malformed, 3u);
  EXPECT_EQ(stats.refused_stream_resets, 3u);

  // A second OPEN on a used stream closes the channel there, on both sides.
  auto b1 = pair.b().dcm->CreateDataChannel("b1", {});
  ASSERT_TRUE(b1.ok());
  ASSERT_TRUE(pair.RunUntil([&] { return (*b1)->state() == DataChannelState::kOpen; }));
  ASSERT_EQ(pair.a().remote_channels.size(), 1u);
  bool b1_closed = false;
  (*b1)->set_on_close([&] { b1_closed = true; });
  ASSERT_TRUE(raw_b->Send(1, kPpidDcep, open).ok());
  ASSERT_TRUE(pair.RunUntil([&] { return b1_closed; }));
  EXPECT_EQ(pair.a().remote_channels[0]->state(), DataChannelState::kClosed);
  EXPECT_EQ(stats.dcep_malformed, 4u);
  EXPECT_EQ(stats.refused_stream_resets, 4u);
  EXPECT_EQ(stats.dcep_acks_sent, 1u);  // b1's, not the refused ones
  EXPECT_EQ(pair.a().reset_requests, (std::set<uint16_t>{1, 3, 4, 5}));

  // User data on a stream with no channel.
  ASSERT_TRUE(raw_b->Send(11, kPpidBinary, Bytes("who")).ok());
  settle();
  EXPECT_EQ(stats.unknown_stream_dropped, 1u);
  EXPECT_EQ(stats.dcep_malformed, 4u);

  // Oversized: refused at Send with both sizes named, and dropped (counted)
  // when the peer's larger limit let it through.
  auto ch = pair.a().dcm->CreateDataChannel("big", {});
  ASSERT_TRUE(ch.ok());
  ASSERT_TRUE(pair.RunUntil([&] { return (*ch)->state() == DataChannelState::kOpen; }));
  absl::Status too_big = (*ch)->SendBinary(std::vector<uint8_t>(256 * 1024 + 1, 1));
  EXPECT_EQ(too_big.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(too_big.message().find("262145"), std::string::npos) << too_big;
  EXPECT_NE(too_big.message().find("262144"), std::string::npos) << too_big;
  EXPECT_EQ(stats.messages_sent, 0u);
  Pair::Collect(pair.a(), **ch);
  const size_t before = pair.a().received.size();
  ASSERT_TRUE(raw_b->Send(*(*ch)->id(), kPpidBinary, std::vector<uint8_t>(300 * 1024, 2)).ok());
  ASSERT_TRUE(raw_b->Send(*(*ch)->id(), kPpidBinary, Bytes("after")).ok());
  ASSERT_TRUE(pair.RunUntil([&] { return pair.a().received.size() > before; }));
  EXPECT_EQ(pair.a().dcm->sctp()->stats().oversized_dropped, 1u);
  ASSERT_EQ(pair.a().received.size(), before + 1);
  EXPECT_EQ(pair.a().received.back().data, Bytes("after"));
  EXPECT_EQ(stats.unknown_stream_dropped, 1u);
  EXPECT_EQ(stats.dcep_malformed, 4u);
  EXPECT_EQ(stats.refused_stream_resets, 4u);
}

TEST(DataChannel, StartFixesRoleAndPortAndGivesIdsInCreationOrder) {
  // Ports differ from the default: only Start()'s remote port lets the
  // associations meet. Both managers were created with the client role.
  Pair pair(10, PairOptions{.preset = false, .a_port = 5001, .b_port = 5002});
  DataChannelManager& a = *pair.a().dcm;
  DataChannelManager& b = *pair.b().dcm;
  EXPECT_FALSE(a.started());
  auto x = a.CreateDataChannel("x", {});
  auto neg = a.CreateDataChannel("n", {.negotiated = true, .id = 1});
  auto y = a.CreateDataChannel("y", {.ordered = false});
  auto gone = a.CreateDataChannel("gone", {});
  auto z = b.CreateDataChannel("z", {});
  ASSERT_TRUE(x.ok() && neg.ok() && y.ok() && gone.ok() && z.ok());
  EXPECT_EQ((*x)->id(), std::nullopt);
  EXPECT_EQ((*neg)->id(), 1);
  EXPECT_EQ((*x)->Send("early").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*x)->buffered_amount(), 0u);
  // Closing an id-less channel needs no stream reset.
  bool gone_closed = false;
  (*gone)->set_on_close([&] { gone_closed = true; });
  (*gone)->Close();
  EXPECT_TRUE(gone_closed);
  EXPECT_EQ((*gone)->state(), DataChannelState::kClosed);
  // By id, then the id-less ones in creation order.
  EXPECT_EQ(a.channels(), (std::vector<std::shared_ptr<DataChannel>>{*neg, *x, *y}));
  EXPECT_EQ(a.channel_count(), 3u);

  // a turns out to be the DTLS server: odd ids, 1 already negotiated.
  ASSERT_TRUE(a.Start(SctpRole::kServer, 5002).ok());
  EXPECT_TRUE(a.started());
  EXPECT_EQ((*x)->id(), 3);
  EXPECT_EQ((*y)->id(), 5);
  EXPECT_EQ(a.Start(SctpRole::kServer, 5002).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(a.sctp()->Connect().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(a.channels(), (std::vector<std::shared_ptr<DataChannel>>{*neg, *x, *y}));
  auto w = a.CreateDataChannel("w", {});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->id(), 7);
  ASSERT_TRUE(b.Start(SctpRole::kClient, 5001).ok());
  EXPECT_EQ((*z)->id(), 0);

  auto b_neg = b.CreateDataChannel("n", {.negotiated = true, .id = 1});
  ASSERT_TRUE(b_neg.ok());
  ASSERT_TRUE(pair.RunUntil([&] {
    return pair.b().remote_channels.size() == 3 && pair.a().remote_channels.size() == 1 &&
           (*x)->state() == DataChannelState::kOpen && (*y)->state() == DataChannelState::kOpen &&
           (*neg)->state() == DataChannelState::kOpen;
  }));
  EXPECT_EQ(pair.b().remote_channels[0]->label(), "x");
  EXPECT_EQ(pair.b().remote_channels[0]->id(), 3);
  EXPECT_EQ(pair.b().remote_channels[1]->label(), "y");
  EXPECT_EQ(pair.b().remote_channels[1]->id(), 5);
  EXPECT_FALSE(pair.b().remote_channels[1]->ordered());
  EXPECT_EQ(pair.b().remote_channels[2]->id(), 7);
  EXPECT_EQ(pair.a().remote_channels[0]->label(), "z");
  EXPECT_EQ(pair.a().remote_channels[0]->id(), 0);
  EXPECT_EQ(a.stats().dcep_malformed + b.stats().dcep_malformed, 0u);
  Pair::Collect(pair.b(), *pair.b().remote_channels[0]);
  ASSERT_TRUE((*x)->Send("hi").ok());
  ASSERT_TRUE(pair.RunUntil([&] { return !pair.b().received.empty(); }));
  EXPECT_EQ(pair.b().received[0].channel, 3);
}

TEST(DataChannel, StartClosesEarlyChannelsThatFindNoId) {
  simnet::Network net(15);
  simnet::Host* host = *net.AddHost("solo", {IpAddress::V4(10, 0, 0, 1)});
  // Four streams: the client has ids 0 and 2 only.
  auto dcm = DataChannelManager::Create(host->env(), {.streams = 4},
                                        [](absl::Span<const uint8_t>) { return absl::OkStatus(); });
  ASSERT_TRUE(dcm.ok()) << dcm.status();
  auto c0 = (*dcm)->CreateDataChannel("c0", {});
  auto c2 = (*dcm)->CreateDataChannel("c2", {});
  auto c4 = (*dcm)->CreateDataChannel("c4", {});
  ASSERT_TRUE(c0.ok() && c2.ok() && c4.ok());
  bool c4_closed = false;
  (*c4)->set_on_close([&] { c4_closed = true; });
  ASSERT_TRUE((*dcm)->Start(SctpRole::kClient, kDefaultSctpPort).ok());
  EXPECT_EQ((*c0)->id(), 0);
  EXPECT_EQ((*c2)->id(), 2);
  EXPECT_EQ((*c4)->id(), std::nullopt);
  EXPECT_TRUE(c4_closed);
  EXPECT_EQ((*c4)->state(), DataChannelState::kClosed);
  EXPECT_EQ((*dcm)->stats().channels_without_id, 1u);
  EXPECT_EQ((*dcm)->stats().dcep_opens_sent, 2u);
  EXPECT_EQ((*dcm)->channels(), (std::vector<std::shared_ptr<DataChannel>>{*c0, *c2}));
  EXPECT_EQ((*dcm)->CreateDataChannel("more", {}).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(DataChannel, DirectConnectKeepsConfiguredRoleForEarlyChannels) {
  Pair pair(12);  // b is configured as the server
  auto early = pair.b().dcm->CreateDataChannel("early", {});
  ASSERT_TRUE(early.ok());
  EXPECT_EQ((*early)->id(), std::nullopt);
  pair.Connect();
  EXPECT_TRUE(pair.b().dcm->started());
  EXPECT_EQ((*early)->id(), 1);
  ASSERT_TRUE(pair.RunUntil([&] { return (*early)->state() == DataChannelState::kOpen; }));
  ASSERT_EQ(pair.a().remote_channels.size(), 1u);
  EXPECT_EQ(pair.a().remote_channels[0]->id(), 1);
}

TEST(DataChannel, BufferedAmountIsPerChannelAndLowEventFires) {
  Pair pair(13);
  pair.Connect();
  auto x = pair.a().dcm->CreateDataChannel("x", {});
  auto y = pair.a().dcm->CreateDataChannel("y", {});
  ASSERT_TRUE(x.ok() && y.ok());
  ASSERT_TRUE(pair.RunUntil([&] {
    return (*x)->state() == DataChannelState::kOpen && (*y)->state() == DataChannelState::kOpen;
  }));
  constexpr size_t kThreshold = 256 * 1024;
  (*x)->set_buffered_amount_low_threshold(kThreshold);
  EXPECT_EQ((*x)->buffered_amount_low_threshold(), kThreshold);
  EXPECT_EQ((*y)->buffered_amount_low_threshold(), 0u);
  int x_low = 0, y_low = 0;
  size_t x_at_low = 0, y_at_x_low = 0;
  (*x)->set_on_buffered_amount_low([&] {
    ++x_low;
    x_at_low = (*x)->buffered_amount();
    y_at_x_low = (*y)->buffered_amount();
  });
  (*y)->set_on_buffered_amount_low([&] { ++y_low; });

  // 1.5 MiB on x: more than the 1 MiB SCTP send buffer takes at once.
  constexpr int kMessages = 24;
  constexpr size_t kSize = 64 * 1024;
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE((*x)->SendBinary(Numbered(i, kSize)).ok());
  ASSERT_TRUE((*y)->SendBinary(Numbered(1000, 1000)).ok());
  const size_t x_burst = (*x)->buffered_amount();
  EXPECT_GT(x_burst, kThreshold);
  EXPECT_LE(x_burst, kMessages * kSize);
  // y's message waits behind x's in the association's queue; its amount is
  // its own.
  EXPECT_EQ((*y)->buffered_amount(), 1000u);
  EXPECT_EQ(pair.a().dcm->sctp()->buffered_amount(), x_burst + 1000);
  EXPECT_EQ(x_low, 0);  // only from a posted task, after the sends

  ASSERT_TRUE(pair.RunUntil([&] { return pair.b().received.size() == kMessages + 1; },
                            TimeDelta::Seconds(120)));
  EXPECT_EQ(x_low, 1);  // crossed once: nothing was sent meanwhile
  EXPECT_LE(x_at_low, kThreshold);
  EXPECT_GT(x_at_low, 0u);
  EXPECT_EQ(y_at_x_low, 1000u);
  EXPECT_EQ(y_low, 1);
  EXPECT_EQ((*x)->buffered_amount(), 0u);
  EXPECT_EQ((*y)->buffered_amount(), 0u);
  // Streams do not block each other at the receiver: y's message may land
  // between x's.
  std::vector<std::vector<uint8_t>> on_x;
  for (const Message& m : pair.b().received) {
    if (m.channel == *(*x)->id()) on_x.push_back(m.data);
  }
  ASSERT_EQ(on_x.size(), static_cast<size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) ASSERT_EQ(on_x[i], Numbered(i, kSize)) << i;

  // Threshold 0 and a message usrsctp takes at once: the event still
  // follows (the amount rose on Send and fell on hand-over), after Send.
  ASSERT_TRUE((*y)->Send("small").ok());
  EXPECT_EQ(y_low, 1);
  pair.RunUntil([] { return false; }, TimeDelta::Millis(20));
  EXPECT_EQ(y_low, 2);
}

TEST(DataChannel, ChannelsListsOpenAndConnectingById) {
  Pair pair(14);
  pair.Connect();
  auto c0 = pair.a().dcm->CreateDataChannel("c0", {});
  auto c2 = pair.a().dcm->CreateDataChannel("c2", {});
  auto n9 = pair.a().dcm->CreateDataChannel("n9", {.negotiated = true, .id = 9});
  ASSERT_TRUE(c0.ok() && c2.ok() && n9.ok());
  EXPECT_EQ(pair.a().dcm->channels(), (std::vector<std::shared_ptr<DataChannel>>{*c0, *c2, *n9}));
  ASSERT_TRUE(pair.RunUntil([&] { return (*c2)->state() == DataChannelState::kOpen; }));
  (*c2)->Close();  // closing: no longer listed
  EXPECT_EQ(pair.a().dcm->channels(), (std::vector<std::shared_ptr<DataChannel>>{*c0, *n9}));
}

}  // namespace
}  // namespace rtcsim::sctp
