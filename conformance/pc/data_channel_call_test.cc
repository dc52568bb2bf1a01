// PeerConnections on simnet, end to end: JSEP offer/answer with trickle over
// a delayed signalling channel, ICE through two different NATs, DTLS, SCTP
// and data channels of every reliability type (RFC 8831 §6.6) under 5%
// loss; determinism of the whole call; and fifty pairs in one simulation.
// The call itself is scenarios/call/data_channel_call.h.
#include "scenarios/call/data_channel_call.h"

#include <cstdio>

#include "gtest/gtest.h"
#include "simnet/testing/fresh_process.h"

namespace rtcsim::conformance {
namespace {

using scenarios::ChannelFigures;
using scenarios::DataChannelCallConfig;
using scenarios::DataChannelCallResult;

const ChannelFigures* Find(const DataChannelCallResult& r, const std::string& label) {
  for (const ChannelFigures& c : r.channels) {
    if (c.label == label) return &c;
  }
  return nullptr;
}

// The call: 10,000 messages each way on an ordered channel, and a
// tenth of that on unordered, maxRetransmits=0 and maxPacketLifeTime=100ms
// channels, with 5% loss each way on both access links.
TEST(DataChannelCall, TenThousandMessagesEachWayUnderFivePercentLoss) {
  DataChannelCallConfig config;
  config.seed = 5;
  config.loss = 0.05;
  config.channels = scenarios::DefaultChannels(10000);
  // Messages near the 256 KiB max-message-size cross in many SCTP packets,
  // each within one DTLS record (RFC 8261 §5).
  config.channels.push_back({.label = "large-200KiB",
                             .init = {},
                             .messages = 5,
                             .min_size = 200 * 1024,
                             .max_size = 200 * 1024});
  config.duration = TimeDelta::Seconds(600);
  auto result = scenarios::RunDataChannelCall(config);
  ASSERT_TRUE(result.ok()) << result.status();
  const DataChannelCallResult& r = *result;
  std::fputs(r.Summary().c_str(), stdout);
  ASSERT_EQ(r.pairs_connected, 1) << r.Summary();
  EXPECT_TRUE(r.errors.empty()) << r.Summary();

  // Ordered, reliable: every message intact, in order, once.
  const ChannelFigures* ordered = Find(r, "ordered");
  ASSERT_NE(ordered, nullptr);
  EXPECT_EQ(ordered->sent, 20000u);
  EXPECT_EQ(ordered->received, 20000u);
  EXPECT_EQ(ordered->out_of_order, 0u);
  EXPECT_EQ(ordered->duplicated, 0u);
  EXPECT_EQ(ordered->corrupted, 0u);
  // Unordered but reliable: all arrive once, in any order.
  const ChannelFigures* unordered = Find(r, "unordered");
  ASSERT_NE(unordered, nullptr);
  EXPECT_EQ(unordered->received, unordered->sent);
  EXPECT_EQ(unordered->duplicated, 0u);
  // Partially reliable (RFC 3758): with 5% loss some messages are abandoned,
  // and they are counted as lost, never delivered twice or damaged.
  for (const char* label : {"unreliable-rtx0", "lifetime-100ms"}) {
    const ChannelFigures* pr = Find(r, label);
    ASSERT_NE(pr, nullptr);
    EXPECT_EQ(pr->sent, 2000u) << label;
    EXPECT_EQ(pr->received + pr->lost, pr->sent) << label;
    EXPECT_EQ(pr->duplicated, 0u) << label;
    EXPECT_EQ(pr->corrupted, 0u) << label;
  }
  EXPECT_GT(Find(r, "unreliable-rtx0")->lost, 0u) << "5% loss and no retransmission lost nothing";
  const ChannelFigures* large = Find(r, "large-200KiB");
  ASSERT_NE(large, nullptr);
  EXPECT_EQ(large->received, 10u);
  EXPECT_EQ(large->bytes_received, 10u * 200 * 1024);
  EXPECT_EQ(r.sctp_send_errors, 0u);
  EXPECT_EQ(r.dtls_send_errors, 0u);
  EXPECT_TRUE(r.ok()) << r.Summary();
  // Loss was recovered by SCTP, not avoided.
  EXPECT_GT(r.sctp_data_retransmissions, 0u);
  // Through two NATs with STUN: server-reflexive candidates on A's side.
  EXPECT_NE(r.selected_pair.find("srflx 203.0.113.10"), std::string::npos) << r.selected_pair;
  EXPECT_GT(r.candidates_trickled, 0u);
  EXPECT_TRUE(r.channels_closed_cleanly);
  EXPECT_GT(r.connect_time, TimeDelta::Zero());
  EXPECT_LT(r.connect_time, TimeDelta::Seconds(10));
}

// Same seed, same trace hash, in fresh processes (usrsctp's process-wide
// state, see stack/sctp/sctp_association.h); another seed, another hash.
std::string CallHash(uint64_t seed) {
  DataChannelCallConfig config;
  config.seed = seed;
  config.channels = scenarios::DefaultChannels(500);
  auto r = scenarios::RunDataChannelCall(config);
  if (!r.ok() || !r->ok()) return "failed";
  return r->trace_hash;
}

TEST(DataChannelCall, SameSeedSameTraceHash) {
  auto first = simnet::RunInFreshProcess([] { return CallHash(11); });
  auto second = simnet::RunInFreshProcess([] { return CallHash(11); });
  auto other = simnet::RunInFreshProcess([] { return CallHash(12); });
  ASSERT_TRUE(first.ok() && second.ok() && other.ok());
  ASSERT_EQ(first->size(), 16u) << *first;
  EXPECT_EQ(*first, *second);
  EXPECT_NE(*first, *other);
}

// A hundred PeerConnections in one simulation, all connecting and
// exchanging data at once; memory per PeerConnection is reported.
TEST(DataChannelCall, FiftyPairsInOneSimulation) {
  DataChannelCallConfig config;
  config.seed = 3;
  config.pairs = 50;
  config.loss = 0.01;
  config.channels = {{.label = "chat", .init = {}, .messages = 200}};
  config.duration = TimeDelta::Seconds(120);
  auto result = scenarios::RunDataChannelCall(config);
  ASSERT_TRUE(result.ok()) << result.status();
  const DataChannelCallResult& r = *result;
  std::fputs(r.Summary().c_str(), stdout);
  EXPECT_EQ(r.pairs_connected, 50);
  EXPECT_EQ(r.channels[0].received, 50u * 2 * 200);
  EXPECT_TRUE(r.ok()) << r.Summary();
  EXPECT_GT(r.heap_bytes_per_peer_connection, 0u);
  std::printf("heap per PeerConnection: %.1f KiB (%d PeerConnections)\n",
              r.heap_bytes_per_peer_connection / 1024.0, 2 * r.pairs);
}

}  // namespace
}  // namespace rtcsim::conformance
