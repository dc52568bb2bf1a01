// DtlsTransport under network impairments on simnet: random loss, a small
// path MTU, a dead return path. Retransmission timing is measured from the
// sending host's capture (the wire), not from the transport's own counters.
// The binary links //simnet/interpose:libc_time_interpose.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stack/dtls/dtls_record.h"
#include "stack/dtls/dtls_test_util.h"
#include "stack/dtls/dtls_transport.h"

namespace rtcsim::dtls {
namespace {

using testing::DtlsPair;
using testing::DtlsPairOptions;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

// The message_seq of the first plaintext handshake fragment in a datagram,
// which names the flight (transmission) it belongs to; nullopt for
// datagrams starting otherwise (e.g. the server's final ChangeCipherSpec +
// Finished flight, which OpenSSL resends when the client's Finished arrives
// again rather than on a timer).
std::optional<uint16_t> FlightKey(const std::vector<uint8_t>& datagram) {
  auto records = ParseDtlsRecords(datagram);
  if (!records.ok() || records->empty()) return std::nullopt;
  const DtlsRecord& first = (*records)[0];
  if (first.content_type != static_cast<uint8_t>(ContentType::kHandshake) || first.epoch != 0) {
    return std::nullopt;
  }
  auto fragments = ParseHandshakeFragments(first.fragment);
  if (!fragments.ok() || fragments->empty()) return std::nullopt;
  return (*fragments)[0].message_seq;
}

// Send times per flight, from a host's capture.
std::map<uint16_t, std::vector<Timestamp>> FlightSendTimes(
    const std::vector<simnet::CapturedDatagram>& sent) {
  std::map<uint16_t, std::vector<Timestamp>> times;
  for (const auto& d : sent) {
    if (auto key = FlightKey(d.payload)) times[*key].push_back(d.time);
  }
  return times;
}

std::vector<int64_t> IntervalsMs(const std::vector<Timestamp>& times) {
  std::vector<int64_t> out;
  for (size_t i = 1; i < times.size(); ++i) out.push_back((times[i] - times[i - 1]).ms());
  return out;
}

// RFC 6347 §4.2.4.1 with OpenSSL's cap: 1 s, 2 s, 4 s, ... 60 s, 60 s.
std::vector<int64_t> ExpectedIntervalsMs(size_t n, int64_t initial_ms = 1000) {
  std::vector<int64_t> out;
  int64_t t = initial_ms;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(t);
    t = std::min<int64_t>(t * 2, 60000);
  }
  return out;
}

TEST(DtlsNetworkTest, RetransmissionScheduleWhenTheReturnPathIsDead) {
  DtlsPair pair(DtlsPairOptions{});
  // Nothing the server sends gets through.
  simnet::LinkParams dead = DtlsPairOptions::DefaultLink();
  dead.up = false;
  ASSERT_TRUE(pair.server().link->SetParams(0, dead).ok());
  pair.Create();
  pair.Start();
  pair.RunUntil([&] { return pair.client().transport->state() == DtlsTransportState::kFailed; },
                TimeDelta::Seconds(600));
  const DtlsTransport& client = *pair.client().transport;
  ASSERT_EQ(client.state(), DtlsTransportState::kFailed);

  // The ClientHello goes out at 0 s, then at 1, 3, 7, 15, 31, 63, 123, ...
  // s: the timer doubles from 1 s up to 60 s (RFC 6347 §4.2.4.1), and
  // OpenSSL gives up on the 13th expiry.
  auto flights = FlightSendTimes(pair.SentBy(pair.client()));
  ASSERT_EQ(flights.size(), 1u);
  const std::vector<Timestamp>& hello = flights[0];
  EXPECT_EQ(hello.front(), Timestamp::Zero());
  EXPECT_THAT(IntervalsMs(hello), ElementsAreArray(ExpectedIntervalsMs(12)));
  EXPECT_EQ(client.stats().retransmissions, 12u);
  EXPECT_EQ(client.stats().early_timer_fires, 0u);
  EXPECT_EQ(client.error().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(client.error().message()),
              HasSubstr("handshake timed out after 12 retransmissions"));
  // Failure comes one 60 s timeout after the last retransmission at 423 s.
  EXPECT_EQ(pair.net().now().ms() / 1000, 483);

  // The server, whose flights all vanish, follows the same schedule from
  // the moment the first ClientHello reached it (10 ms + 10 ms). (After the
  // second retransmission its flight is split for the PMTU back-off, so
  // later datagrams of the flight start with other messages.)
  auto server_flights = FlightSendTimes(pair.SentBy(pair.server()));
  ASSERT_FALSE(server_flights.empty());
  ASSERT_EQ(server_flights.begin()->first, 0);  // ServerHello (no HelloVerifyRequest)
  const std::vector<Timestamp>& server_hello = server_flights.begin()->second;
  EXPECT_EQ(server_hello.front(), Timestamp::Zero() + TimeDelta::Millis(20));
  EXPECT_THAT(IntervalsMs(server_hello), ElementsAreArray(ExpectedIntervalsMs(12)));
  std::printf("dead return path: client sent ClientHello at %s\n",
              absl::StrJoin(hello, ", ", [](std::string* out, Timestamp t) {
                absl::StrAppend(out, t.ms() / 1000.0, "s");
              }).c_str());
}

TEST(DtlsNetworkTest, ConfiguredInitialTimeoutIsHonoured) {
  DtlsPairOptions options;
  options.client.initial_retransmit_timeout = TimeDelta::Millis(400);
  options.client.max_retransmit_timeout = TimeDelta::Seconds(3);
  DtlsPair pair(options);
  simnet::LinkParams dead = DtlsPairOptions::DefaultLink();
  dead.up = false;
  ASSERT_TRUE(pair.client().link->SetParams(0, dead).ok());
  pair.Create();
  pair.Start();
  pair.net().RunFor(TimeDelta::Seconds(10));
  auto flights = FlightSendTimes(pair.SentBy(pair.client()));
  // 0.4, 0.8, 1.6, 3.0 (capped), 3.0, ... within 10 s: 0, .4, 1.2, 2.8, 5.8, 8.8.
  EXPECT_THAT(IntervalsMs(flights[0]), ElementsAreArray({400, 800, 1600, 3000, 3000}));
}

// Loss of 20 % on the client's access link, each direction: every datagram
// between the two has a 1-in-5 chance of vanishing.
class DtlsLossTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(DtlsLossTest, HandshakeCompletesUnder20PercentLoss) {
  DtlsPairOptions options;
  options.seed = GetParam();
  options.client_link.loss = simnet::LossModel::Bernoulli(0.2);
  DtlsPair pair(options);
  pair.Create();
  pair.Start();
  ASSERT_TRUE(pair.RunUntilConnected(TimeDelta::Seconds(120)))
      << pair.client().transport->error() << " / " << pair.server().transport->error();
  const DtlsTransport& client = *pair.client().transport;
  const DtlsTransport& server = *pair.server().transport;
  EXPECT_EQ(client.srtp_keying_material()->local_key, server.srtp_keying_material()->remote_key);

  // Each flight's retransmissions are 1 s, 2 s, 4 s, ... apart: RFC 6347
  // §4.2.4.1, as seen on the wire.
  for (const auto* side : {&pair.client(), &pair.server()}) {
    for (const auto& [key, times] : FlightSendTimes(pair.SentBy(*side))) {
      SCOPED_TRACE(absl::StrCat(side == &pair.client() ? "client" : "server", " flight ", key));
      EXPECT_THAT(IntervalsMs(times), ElementsAreArray(ExpectedIntervalsMs(times.size() - 1)));
    }
    for (const auto& d : pair.SentBy(*side)) {
      EXPECT_LE(d.payload.size(), side->transport->max_datagram_size());
    }
  }
  EXPECT_EQ(client.stats().early_timer_fires + server.stats().early_timer_fires, 0u);
  std::printf("seed %llu: handshake %s, retransmissions client %llu server %llu, lost %llu+%llu\n",
              static_cast<unsigned long long>(GetParam()),
              client.stats().handshake_duration.ToString().c_str(),
              static_cast<unsigned long long>(client.stats().retransmissions),
              static_cast<unsigned long long>(server.stats().retransmissions),
              static_cast<unsigned long long>(pair.client().link->stats(0).lost),
              static_cast<unsigned long long>(pair.client().link->stats(1).lost));

  // Data still flows (no retransmission for application data: datagram
  // semantics, so send a few).
  int delivered = 0;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(pair.client().transport->Send(std::vector<uint8_t>(100, i)).ok());
  }
  pair.net().RunFor(TimeDelta::Millis(200));
  delivered = static_cast<int>(pair.server().received.size());
  EXPECT_GT(delivered, 5);
}

INSTANTIATE_TEST_SUITE_P(Seeds, DtlsLossTest, ::testing::Range<uint64_t>(1, 21));

TEST(DtlsNetworkTest, PathMtuOf1200BytesDropsNothing) {
  DtlsPairOptions options;
  options.client_link.mtu = 1200;
  options.server_link.mtu = 1200;
  DtlsPair pair(options);
  pair.Create();
  pair.Start();
  ASSERT_TRUE(pair.RunUntilConnected());
  size_t largest = 0;
  for (const auto* side : {&pair.client(), &pair.server()}) {
    EXPECT_EQ(side->link->stats(0).mtu_drops, 0u);
    for (const auto& d : pair.SentBy(*side)) {
      largest = std::max(largest, d.payload.size());
      // Default config: mtu 1200 - 48 (IPv6 + UDP) = 1152-byte datagrams.
      EXPECT_LE(d.payload.size(), 1152u);
    }
  }
  std::printf("largest handshake datagram: %zu bytes\n", largest);
  const size_t max = pair.client().transport->max_application_data_size();
  ASSERT_TRUE(pair.client().transport->Send(std::vector<uint8_t>(max, 1)).ok());
  pair.net().RunFor(TimeDelta::Millis(100));
  EXPECT_EQ(pair.server().received.size(), 1u);
  EXPECT_EQ(pair.client().link->stats(0).mtu_drops, 0u);
}

TEST(DtlsNetworkTest, SmallMtuFragmentsFlightsAcrossDatagrams) {
  // A 400-byte path: flights must be split into 352-byte datagrams
  // (RFC 6347 §4.2.3 handshake fragmentation), with 20 % loss on top.
  DtlsPairOptions options;
  options.seed = 3;
  options.client_link.mtu = 400;
  options.server_link.mtu = 400;
  options.client_link.loss = simnet::LossModel::Bernoulli(0.2);
  options.client.mtu = 400;
  options.server.mtu = 400;
  DtlsPair pair(options);
  pair.Create();
  pair.Start();
  ASSERT_TRUE(pair.RunUntilConnected(TimeDelta::Seconds(120)))
      << pair.client().transport->error() << " / " << pair.server().transport->error();
  for (const auto* side : {&pair.client(), &pair.server()}) {
    EXPECT_EQ(side->link->stats(0).mtu_drops, 0u);
    for (const auto& d : pair.SentBy(*side)) EXPECT_LE(d.payload.size(), 352u);
  }
  EXPECT_GT(pair.server().transport->stats().packets_sent, 3u);
}

TEST(DtlsNetworkTest, OversizedDatagramLimitBacksOffOnASmallPath) {
  // Configured for 1500-byte paths on a 576-byte one: the server's first
  // flight (over 548 bytes) is dropped by the link. After two unanswered
  // retransmissions the datagram limit falls back to 576 - 48 (RFC 6347
  // §4.1.1.1) and the handshake completes.
  DtlsPairOptions options;
  options.client_link.mtu = 576;
  options.server_link.mtu = 576;
  options.client.mtu = 1500;
  options.server.mtu = 1500;
  DtlsPair pair(options);
  pair.Create();
  pair.Start();
  ASSERT_TRUE(pair.RunUntilConnected(TimeDelta::Seconds(60)))
      << pair.client().transport->error() << " / " << pair.server().transport->error();
  EXPECT_GT(pair.server().link->stats(0).mtu_drops, 0u);
  EXPECT_EQ(pair.server().transport->stats().mtu_backoffs, 1u);
  // Sent at 20 ms, resent at 1.02 s and 3.02 s (both too big), then at
  // 7.02 s in 528-byte datagrams; the client has the server's Finished
  // two one-way trips (40 ms each) later.
  EXPECT_EQ(pair.server().transport->stats().retransmissions, 3u);
  EXPECT_EQ(pair.client().transport->stats().handshake_duration, TimeDelta::Millis(7080));
  for (const auto& d : pair.SentBy(pair.server())) {
    if (d.time > Timestamp::Zero() + TimeDelta::Seconds(7)) {
      EXPECT_LE(d.payload.size(), 528u);
    }
  }
}

}  // namespace
}  // namespace rtcsim::dtls
