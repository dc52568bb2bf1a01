#include "stack/dtls/dtls_test_util.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace rtcsim::dtls::testing {

DtlsPair::DtlsPair(DtlsPairOptions options) : options_(std::move(options)), net_(options_.seed) {
  simnet::Router* internet = *net_.AddRouter("internet");
  client_.host = *net_.AddHost("client", {kClientAddress.ip()});
  server_.host = *net_.AddHost("server", {kServerAddress.ip()});
  auto client_link = net_.Connect(client_.host, internet, options_.client_link);
  auto server_link = net_.Connect(server_.host, internet, options_.server_link);
  EXPECT_TRUE(client_link.ok()) << client_link.status();
  EXPECT_TRUE(server_link.ok()) << server_link.status();
  client_.link = *client_link;
  server_.link = *server_link;
  client_.capture = net_.CaptureHost(client_.host);
  server_.capture = net_.CaptureHost(server_.host);
}

void DtlsPair::Create() {
  for (Side* side : {&client_, &server_}) {
    if (side->certificate == nullptr) {
      auto cert = DtlsCertificate::Generate(side->host->env());
      ASSERT_TRUE(cert.ok()) << cert.status();
      side->certificate = *cert;
    }
  }
  DtlsTransportConfig client = options_.client;
  client.role = DtlsRole::kClient;
  DtlsTransportConfig server = options_.server;
  server.role = DtlsRole::kServer;
  Build(client_, kClientAddress, kServerAddress, std::move(client), server_,
        options_.client_knows_fingerprint);
  Build(server_, kServerAddress, kClientAddress, std::move(server), client_,
        options_.server_knows_fingerprint);
}

void DtlsPair::Build(Side& side, const SocketAddress& local, const SocketAddress& remote,
                     DtlsTransportConfig config, const Side& peer, bool knows_fingerprint) {
  auto socket = side.host->env().BindUdp(local);
  ASSERT_TRUE(socket.ok()) << socket.status();
  side.socket = std::move(*socket);
  if (config.certificate == nullptr) config.certificate = side.certificate;
  if (config.remote_fingerprints.empty() && knows_fingerprint) {
    config.remote_fingerprints = {peer.certificate->fingerprint()};
  }
  Side* s = &side;
  config.key_log = [s](absl::string_view line) { s->key_log.emplace_back(line); };
  DtlsTransport::Callbacks callbacks;
  callbacks.on_state = [s](DtlsTransportState state) { s->states.push_back(state); };
  callbacks.on_data = [s](absl::Span<const uint8_t> data) {
    s->received.emplace_back(data.begin(), data.end());
  };
  auto transport = DtlsTransport::Create(
      side.host->env(), std::move(config),
      [s, remote](absl::Span<const uint8_t> datagram) {
        return s->socket->SendTo(remote, datagram);
      },
      std::move(callbacks));
  ASSERT_TRUE(transport.ok()) << transport.status();
  side.transport = std::move(*transport);
  side.socket->SetReceiveCallback([s](const SocketAddress&, absl::Span<const uint8_t> payload) {
    s->transport->HandlePacket(payload);
  });
}

void DtlsPair::Start() {
  ASSERT_TRUE(server_.transport->Start().ok());
  ASSERT_TRUE(client_.transport->Start().ok());
}

bool DtlsPair::RunUntil(const std::function<bool()>& done, TimeDelta timeout) {
  const Timestamp end = net_.now() + timeout;
  while (!done() && net_.now() < end) {
    net_.RunFor(TimeDelta::Millis(10));
  }
  return done();
}

bool DtlsPair::RunUntilConnected(TimeDelta timeout) {
  auto finished = [](const Side& s) {
    DtlsTransportState st = s.transport->state();
    return st == DtlsTransportState::kConnected || st == DtlsTransportState::kFailed ||
           st == DtlsTransportState::kClosed;
  };
  RunUntil([&] { return finished(client_) && finished(server_); }, timeout);
  return client_.transport->state() == DtlsTransportState::kConnected &&
         server_.transport->state() == DtlsTransportState::kConnected;
}

std::vector<simnet::CapturedDatagram> DtlsPair::SentBy(const Side& side) const {
  auto all = simnet::ReadPcapng(side.capture->bytes());
  EXPECT_TRUE(all.ok()) << all.status();
  std::vector<simnet::CapturedDatagram> sent;
  if (!all.ok()) return sent;
  const IpAddress ip = side.host == client_.host ? kClientAddress.ip() : kServerAddress.ip();
  for (auto& d : *all) {
    if (d.src.ip() == ip) sent.push_back(std::move(d));
  }
  return sent;
}

}  // namespace rtcsim::dtls::testing
