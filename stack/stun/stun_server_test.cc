// The Binding server on a simulated public host, with a client behind a NAT.
#include "stack/stun/stun_server.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simnet/network.h"
#include "stack/stun/stun_transaction.h"

namespace rtcsim::stun {
namespace {

using ::testing::ElementsAre;

class StunServerTest : public ::testing::Test {
 protected:
  StunServerTest() : net_(11) {
    simnet::Router* internet = *net_.AddRouter("internet");
    server_host_ = *net_.AddHost("stun", {kServer.ip()});
    simnet::NatConfig nat_config;
    nat_config.public_addresses = {kNatPublic};
    nat_config.port_allocation = simnet::PortAllocation::kSequential;
    nat_ = *net_.AddNat("nat", nat_config);
    client_host_ = *net_.AddHost("client", {IpAddress::V4(192, 168, 1, 2)});
    simnet::LinkParams wan;
    wan.delay = TimeDelta::Millis(20);
    EXPECT_TRUE(net_.Connect(server_host_, internet, wan).ok());
    EXPECT_TRUE(net_.Connect(nat_, internet, wan).ok());
    EXPECT_TRUE(net_.Connect(client_host_, nat_, simnet::LinkParams{}).ok());

    auto server = StunBindingServer::Create(server_host_->env(), kServer);
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);

    client_socket_ = *client_host_->env().BindUdp(SocketAddress(IpAddress::AnyV4(), 0));
    client_socket_->SetReceiveCallback(
        [this](const SocketAddress& from, absl::Span<const uint8_t> payload) {
          received_.emplace_back(payload.begin(), payload.end());
          auto m = StunMessageView::Parse(payload);
          if (m.ok()) transactions_->HandleResponse(*m, from);
        });
    transactions_ = std::make_unique<StunClientTransactions>(
        client_host_->env(), [this](const SocketAddress& to, absl::Span<const uint8_t> bytes) {
          EXPECT_TRUE(client_socket_->SendTo(to, bytes).ok());
        });
  }

  TransactionId NextTid() {
    Random random = client_host_->env().CreateRandom(absl::StrCat("tid", ++tids_));
    return NewTransactionId(random);
  }

  const SocketAddress kServer{IpAddress::V4(198, 51, 100, 1), 3478};
  const IpAddress kNatPublic = IpAddress::V4(203, 0, 113, 9);
  simnet::Network net_;
  simnet::Host* server_host_;
  simnet::Host* client_host_;
  simnet::Nat* nat_;
  std::unique_ptr<StunBindingServer> server_;
  std::unique_ptr<UdpSocket> client_socket_;
  std::unique_ptr<StunClientTransactions> transactions_;
  std::vector<std::vector<uint8_t>> received_;
  int tids_ = 0;
};

TEST_F(StunServerTest, AnswersWithTheNatsPublicAddress) {
  EXPECT_EQ(server_->local_address(), kServer);
  std::optional<SocketAddress> mapped;
  std::string software;
  bool fingerprint = false;
  auto request = StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, NextTid())
                     .AddFingerprint()
                     .bytes();
  ASSERT_TRUE(transactions_
                  ->Start(request, kServer, RetransmitConfig{}, std::nullopt,
                          [&](absl::StatusOr<StunClientTransactions::Response> r) {
                            ASSERT_TRUE(r.ok()) << r.status();
                            EXPECT_EQ(r->from, kServer);
                            EXPECT_EQ(r->message.message_class(), StunClass::kSuccessResponse);
                            auto a = r->message.GetXorAddress(attr::kXorMappedAddress);
                            ASSERT_TRUE(a.ok()) << a.status();
                            mapped = *a;
                            software = r->message.GetString(attr::kSoftware).value_or("");
                            fingerprint = r->message.has_fingerprint();
                          })
                  .ok());
  net_.RunFor(TimeDelta::Seconds(1));
  ASSERT_TRUE(mapped.has_value());
  // The server sees the NAT's external address, not 192.168.1.2.
  EXPECT_EQ(mapped->ip(), kNatPublic);
  EXPECT_NE(mapped->port(), 0);
  EXPECT_EQ(software, "rtcsim");
  EXPECT_TRUE(fingerprint);
  EXPECT_EQ(nat_->stats().mappings_created, 1u);
  EXPECT_EQ(server_->stats().requests, 1u);
  EXPECT_EQ(server_->stats().responses, 1u);
  EXPECT_EQ(server_->stats().malformed, 0u);
  EXPECT_EQ(transactions_->stats().succeeded, 1u);
}

TEST_F(StunServerTest, UnknownComprehensionRequiredAttributeGets420) {
  const TransactionId tid = NextTid();
  auto request = StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, tid)
                     .AddString(0x7F00, "unknown")
                     .AddString(0xC0DE, "optional: ignored")
                     .AddFingerprint()
                     .bytes();
  ASSERT_TRUE(client_socket_->SendTo(kServer, request).ok());
  net_.RunFor(TimeDelta::Seconds(1));
  ASSERT_EQ(received_.size(), 1u);
  auto m = StunMessageView::Parse(received_[0]);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->message_class(), StunClass::kErrorResponse);
  EXPECT_EQ(m->method(), StunMethod::kBinding);
  EXPECT_EQ(m->transaction_id(), tid);
  EXPECT_EQ(m->GetErrorCode()->code, error::kUnknownAttribute);
  EXPECT_THAT(*m->GetUnknownAttributes(), ElementsAre(0x7F00));
  EXPECT_FALSE(m->Has(attr::kXorMappedAddress));
  EXPECT_EQ(server_->stats().unknown_attribute_rejections, 1u);
  EXPECT_EQ(server_->stats().responses, 1u);
}

TEST_F(StunServerTest, MalformedAndUnwantedPacketsAreDroppedAndCounted) {
  auto good = StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, NextTid())
                  .AddFingerprint()
                  .bytes();
  auto bad_fingerprint = good;
  bad_fingerprint.back() ^= 1;
  auto truncated = good;
  truncated.resize(good.size() - 4);
  const std::vector<uint8_t> junk = {0x80, 0x60, 0, 1, 2, 3, 4, 5};
  const std::vector<uint8_t> empty;
  for (const auto& p : {bad_fingerprint, truncated, junk, empty}) {
    ASSERT_TRUE(client_socket_->SendTo(kServer, p).ok());
  }
  // Well-formed but not answered (RFC 8489 §6.3, §6.3.2).
  auto indication =
      StunMessageBuilder(StunMethod::kBinding, StunClass::kIndication, NextTid()).bytes();
  auto response =
      StunMessageBuilder(StunMethod::kBinding, StunClass::kSuccessResponse, NextTid()).bytes();
  auto allocate = StunMessageBuilder(StunMethod::kAllocate, StunClass::kRequest, NextTid()).bytes();
  for (const auto& p : {indication, response, allocate}) {
    ASSERT_TRUE(client_socket_->SendTo(kServer, p).ok());
  }
  net_.RunFor(TimeDelta::Seconds(1));
  EXPECT_TRUE(received_.empty());
  EXPECT_EQ(server_->stats().malformed, 4u);
  EXPECT_EQ(server_->stats().ignored, 3u);
  EXPECT_EQ(server_->stats().requests, 0u);
  EXPECT_EQ(server_->stats().responses, 0u);

  // And it still answers a good request afterwards.
  ASSERT_TRUE(client_socket_->SendTo(kServer, good).ok());
  net_.RunFor(TimeDelta::Seconds(1));
  EXPECT_EQ(received_.size(), 1u);
  EXPECT_EQ(server_->stats().responses, 1u);
}

TEST_F(StunServerTest, HandlePacketWithoutFingerprintOrSoftware) {
  auto bare = StunBindingServer::Create(server_host_->env(), SocketAddress(kServer.ip(), 3479),
                                        StunServerOptions{.software = "", .fingerprint = false});
  ASSERT_TRUE(bare.ok()) << bare.status();
  auto request = StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, NextTid()).bytes();
  const SocketAddress from = *SocketAddress::Parse("[2001:db8::5]:4444");
  auto out = (*bare)->HandlePacket(from, request);
  ASSERT_TRUE(out.has_value());
  auto m = StunMessageView::Parse(*out);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m->GetXorAddress(attr::kXorMappedAddress), from);
  EXPECT_THAT(m->attributes().size(), 1u);
  EXPECT_EQ((*bare)->stats().requests, 1u);
}

TEST_F(StunServerTest, BindFailureIsReported) {
  // The port is taken by server_.
  auto again = StunBindingServer::Create(server_host_->env(), kServer);
  EXPECT_FALSE(again.ok());
}

}  // namespace
}  // namespace rtcsim::stun
