// DTLS-SRTP over two ICE agents on simnet, one of them behind a NAT; the
// handshake starts when ICE connects. Links the libc time interposer.
#include "stack/dtls/dtls_over_ice.h"

#include <memory>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simnet/network.h"
#include "stack/dtls/dtls_certificate.h"

namespace rtcsim::dtls {
namespace {

using ::testing::ElementsAre;

struct Peer {
  simnet::Host* host = nullptr;
  std::unique_ptr<ice::IceAgent> ice;
  std::unique_ptr<DtlsOverIce> dtls;
  std::shared_ptr<const DtlsCertificate> certificate;
  std::vector<ice::Candidate> candidates;
  std::vector<std::vector<uint8_t>> received;
  std::vector<std::vector<uint8_t>> other_data;  // what DTLS did not claim
};

TEST(DtlsOverIceTest, HandshakeRunsOverTheSelectedPair) {
  simnet::Network net(3);
  simnet::Router* internet = *net.AddRouter("internet");
  simnet::NatConfig nat_config;
  nat_config.public_addresses = {IpAddress::V4(203, 0, 113, 1)};
  simnet::Nat* nat = *net.AddNat("nat", nat_config);
  Peer offerer, answerer;
  offerer.host = *net.AddHost("offerer", {IpAddress::V4(192, 168, 1, 10)});
  answerer.host = *net.AddHost("answerer", {IpAddress::V4(10, 0, 0, 2)});
  simnet::LinkParams link;
  link.delay = TimeDelta::Millis(10);
  ASSERT_TRUE(net.Connect(nat, internet, link).ok());
  ASSERT_TRUE(net.Connect(offerer.host, nat, link).ok());
  ASSERT_TRUE(net.Connect(answerer.host, internet, link).ok());

  for (Peer* p : {&offerer, &answerer}) {
    p->certificate = *DtlsCertificate::Generate(p->host->env());
  }
  auto make = [](Peer& self, Peer& other, ice::IceRole ice_role, DtlsRole dtls_role) {
    ice::IceAgentConfig ic;
    ic.role = ice_role;
    ice::IceAgent::Callbacks cb;
    Peer* s = &self;
    cb.on_candidate = [s](const ice::Candidate& c) { s->candidates.push_back(c); };
    cb.on_data = [s](absl::Span<const uint8_t> data) {
      if (!s->dtls->HandleIceData(data)) s->other_data.emplace_back(data.begin(), data.end());
    };
    cb.on_state = [s](ice::IceConnectionState state) { s->dtls->HandleIceState(state); };
    self.ice = std::make_unique<ice::IceAgent>(self.host->env(), ic, cb);
    DtlsTransportConfig dc;
    dc.role = dtls_role;
    dc.certificate = self.certificate;
    dc.remote_fingerprints = {other.certificate->fingerprint()};
    DtlsTransport::Callbacks dcb;
    dcb.on_data = [s](absl::Span<const uint8_t> data) {
      s->received.emplace_back(data.begin(), data.end());
    };
    auto glue = DtlsOverIce::Create(self.host->env(), *self.ice, dc, dcb);
    ASSERT_TRUE(glue.ok()) << glue.status();
    self.dtls = std::move(*glue);
  };
  // a=setup: offer actpass, answer active: the answerer is the DTLS client.
  make(offerer, answerer, ice::IceRole::kControlling,
       *ResolveDtlsRole(DtlsSetup::kActpass, DtlsSetup::kActive, /*is_offerer=*/true));
  make(answerer, offerer, ice::IceRole::kControlled,
       *ResolveDtlsRole(DtlsSetup::kActive, DtlsSetup::kActpass, /*is_offerer=*/false));
  EXPECT_EQ(offerer.dtls->transport().role(), DtlsRole::kServer);
  EXPECT_EQ(answerer.dtls->transport().role(), DtlsRole::kClient);

  offerer.ice->SetRemoteCredentials(answerer.ice->local_credentials());
  answerer.ice->SetRemoteCredentials(offerer.ice->local_credentials());
  ASSERT_TRUE(offerer.ice->GatherCandidates().ok());
  ASSERT_TRUE(answerer.ice->GatherCandidates().ok());
  net.RunFor(TimeDelta::Millis(100));
  for (const auto& c : offerer.candidates) answerer.ice->AddRemoteCandidate(c).IgnoreError();
  for (const auto& c : answerer.candidates) offerer.ice->AddRemoteCandidate(c).IgnoreError();
  offerer.ice->AddRemoteEndOfCandidates();
  answerer.ice->AddRemoteEndOfCandidates();
  net.RunFor(TimeDelta::Seconds(3));

  DtlsTransport& server = offerer.dtls->transport();
  DtlsTransport& client = answerer.dtls->transport();
  ASSERT_EQ(client.state(), DtlsTransportState::kConnected) << client.error();
  ASSERT_EQ(server.state(), DtlsTransportState::kConnected) << server.error();
  EXPECT_EQ(client.srtp_keying_material()->local_key, server.srtp_keying_material()->remote_key);
  ASSERT_TRUE(client.Send(std::vector<uint8_t>{1, 2, 3}).ok());
  ASSERT_TRUE(server.Send(std::vector<uint8_t>{4, 5}).ok());
  net.RunFor(TimeDelta::Millis(200));
  EXPECT_THAT(offerer.received, ElementsAre(std::vector<uint8_t>{1, 2, 3}));
  EXPECT_THAT(answerer.received, ElementsAre(std::vector<uint8_t>{4, 5}));

  // RFC 7983: an RTP packet on the same pair is not DTLS's.
  ASSERT_TRUE(answerer.ice->Send(std::vector<uint8_t>{0x80, 0x60, 0, 1}).ok());
  net.RunFor(TimeDelta::Millis(200));
  EXPECT_EQ(offerer.other_data.size(), 1u);
  EXPECT_EQ(server.stats().records_dropped, 0u);

  offerer.ice->Close();
  EXPECT_EQ(server.state(), DtlsTransportState::kClosed);
}

}  // namespace
}  // namespace rtcsim::dtls
