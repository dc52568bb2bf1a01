// DtlsTransport for real: on RealEnv (OS UDP sockets over loopback, the real
// clock, OS entropy) and without the libc time interposer. Shows that
//   - the transport works on the real clock (retransmission timer included);
//   - real runs stay random: two runs give different certificates and keys,
//     and certificates carry the real date, not the simulation's epoch;
//   - it interoperates with an independent DTLS-SRTP peer, the `openssl`
//     command-line tool (Debian package openssl), in both roles: the SRTP
//     keying material `openssl s_server/s_client -keymatexport
//     EXTRACTOR-dtls_srtp` prints equals ours (RFC 5764 §4.2), the use_srtp
//     profile agrees, and application data crosses both ways.
// The process plumbing (fork/exec, pipes, kill) is ../child_process.h,
// outside stack/.
// Waits are bounded; nothing asserts on timing.
#include <openssl/asn1.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "conformance/interop/child_process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stack/dtls/dtls_certificate.h"
#include "stack/dtls/dtls_transport.h"
#include "stack/realnet/real_env.h"

namespace rtcsim::dtls {
namespace {

using ::rtcsim::interop::ChildProcess;
using ::rtcsim::interop::PollUntil;
using ::rtcsim::interop::ReadFile;
using ::rtcsim::interop::TempDir;
using ::testing::HasSubstr;

constexpr TimeDelta kTimeout = TimeDelta::Seconds(15);
const IpAddress kLoopback = IpAddress::V4(127, 0, 0, 1);

std::vector<uint8_t> Bytes(absl::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

std::string Hex(const std::vector<uint8_t>& bytes) {
  std::string out;
  for (uint8_t b : bytes) absl::StrAppend(&out, absl::StrFormat("%02X", b));
  return out;
}

uint16_t FreeUdpPort(RealEnv& env) {
  auto socket = env.BindUdp(SocketAddress(kLoopback, 0));
  EXPECT_TRUE(socket.ok()) << socket.status();
  return (*socket)->local_address().port();
}

// An openssl tool process with stdin on a pipe we hold (s_server and
// s_client quit at EOF on stdin) and stdout+stderr in one file.
class Child {
 public:
  void Start(std::vector<std::string> args, const std::string& output) {
    output_ = output;
    auto child = ChildProcess::Start(
        std::move(args),
        {.search_path = true, .stdin_pipe = true, .stdout_file = output, .stderr_file = output});
    ASSERT_TRUE(child.ok()) << child.status();
    child_ = std::move(*child);
  }

  void Write(absl::string_view text) {
    absl::Status written = child_->WriteStdin(text);
    ASSERT_TRUE(written.ok()) << written;
  }
  std::string Output() const { return ReadFile(output_); }

 private:
  std::unique_ptr<ChildProcess> child_;  // stopped (SIGTERM, SIGKILL) when destroyed
  std::string output_;
};

// A P-256 certificate and key made by the openssl tool, so the peer's
// identity comes from outside the project.
struct PemIdentity {
  std::string cert_path;
  std::string key_path;
  std::shared_ptr<const DtlsCertificate> certificate;
};

PemIdentity MakeOpensslIdentity(const std::string& name) {
  PemIdentity id;
  id.cert_path = absl::StrCat(TempDir(), "/", name, "_cert.pem");
  id.key_path = absl::StrCat(TempDir(), "/", name, "_key.pem");
  std::string cmd = absl::StrCat(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=", name,
      " -days 2 -keyout ", id.key_path, " -out ", id.cert_path, " 2>/dev/null");
  EXPECT_EQ(std::system(cmd.c_str()), 0)
      << "is the openssl tool installed? (apt-get install openssl)";
  auto cert = DtlsCertificate::FromPem(ReadFile(id.cert_path), ReadFile(id.key_path));
  EXPECT_TRUE(cert.ok()) << cert.status();
  if (cert.ok()) id.certificate = *cert;
  return id;
}

// One of our transports on a loopback socket; `remote` may be set (or
// learnt from the first datagram) after creation.
struct Endpoint {
  std::unique_ptr<UdpSocket> socket;
  SocketAddress remote;
  bool learn_remote = false;
  std::unique_ptr<DtlsTransport> transport;
  std::vector<std::vector<uint8_t>> received;
};

void MakeEndpoint(RealEnv& env, Endpoint& e, DtlsTransportConfig config) {
  auto socket = env.BindUdp(SocketAddress(kLoopback, 0));
  ASSERT_TRUE(socket.ok()) << socket.status();
  e.socket = std::move(*socket);
  Endpoint* p = &e;
  DtlsTransport::Callbacks cb;
  cb.on_data = [p](absl::Span<const uint8_t> d) { p->received.emplace_back(d.begin(), d.end()); };
  auto transport = DtlsTransport::Create(
      env, std::move(config),
      [p](absl::Span<const uint8_t> d) { return p->socket->SendTo(p->remote, d); }, cb);
  ASSERT_TRUE(transport.ok()) << transport.status();
  e.transport = std::move(*transport);
  e.socket->SetReceiveCallback([p](const SocketAddress& from, absl::Span<const uint8_t> d) {
    if (p->learn_remote) p->remote = from;
    p->transport->HandlePacket(d);
  });
}

struct PairResult {
  std::vector<uint8_t> client_certificate;
  std::vector<uint8_t> client_key;
};

PairResult RunPairOnRealEnv() {
  RealEnv env;
  auto client_cert = DtlsCertificate::Generate(env, "client-cert");
  auto server_cert = DtlsCertificate::Generate(env, "server-cert");
  EXPECT_TRUE(client_cert.ok() && server_cert.ok());
  PairResult r;
  if (!client_cert.ok() || !server_cert.ok()) return r;
  DtlsTransportConfig sc;
  sc.role = DtlsRole::kServer;
  sc.certificate = *server_cert;
  sc.remote_fingerprints = {(*client_cert)->fingerprint()};
  sc.name = "server";
  DtlsTransportConfig cc;
  cc.role = DtlsRole::kClient;
  cc.certificate = *client_cert;
  cc.remote_fingerprints = {(*server_cert)->fingerprint()};
  cc.name = "client";
  Endpoint client, server;
  MakeEndpoint(env, server, sc);
  MakeEndpoint(env, client, cc);
  server.remote = client.socket->local_address();
  client.remote = server.socket->local_address();
  EXPECT_TRUE(server.transport->Start().ok());
  EXPECT_TRUE(client.transport->Start().ok());
  bool connected = env.RunUntil(
      [&] {
        return client.transport->state() == DtlsTransportState::kConnected &&
               server.transport->state() == DtlsTransportState::kConnected;
      },
      kTimeout);
  EXPECT_TRUE(connected) << client.transport->error() << " / " << server.transport->error();
  if (!connected) return r;
  EXPECT_EQ(client.transport->srtp_keying_material()->local_key,
            server.transport->srtp_keying_material()->remote_key);
  EXPECT_TRUE(client.transport->Send(Bytes("ping")).ok());
  EXPECT_TRUE(env.RunUntil([&] { return !server.received.empty(); }, kTimeout));
  client.transport->Close();
  env.RunUntil([&] { return server.transport->state() == DtlsTransportState::kClosed; }, kTimeout);
  EXPECT_EQ(server.transport->state(), DtlsTransportState::kClosed);
  r.client_certificate = (*client_cert)->der();
  r.client_key = client.transport->srtp_keying_material()->local_key;
  // The certificate carries the real date (no interposer here): notBefore
  // is a day before now by the real clock, whatever the simulation epoch.
  const ASN1_TIME* not_before = X509_get0_notBefore((*client_cert)->x509());
  int days = 0, seconds = 0;
  EXPECT_EQ(ASN1_TIME_diff(&days, &seconds, not_before, nullptr), 1);
  EXPECT_EQ(days, 1);
  return r;
}

TEST(DtlsRealnetTest, HandshakeOnRealUdpStaysRandom) {
  PairResult a = RunPairOnRealEnv();
  PairResult b = RunPairOnRealEnv();
  ASSERT_FALSE(a.client_certificate.empty());
  ASSERT_FALSE(b.client_certificate.empty());
  EXPECT_NE(a.client_certificate, b.client_certificate);
  EXPECT_NE(a.client_key, b.client_key);
}

// Parses "Keying material: <hex>" from the openssl tool's output.
std::string KeyingMaterial(const std::string& output) {
  const std::string tag = "Keying material: ";
  size_t at = output.find(tag);
  if (at == std::string::npos) return "";
  size_t end = output.find('\n', at);
  return std::string(absl::StripAsciiWhitespace(output.substr(
      at + tag.size(), end == std::string::npos ? std::string::npos : end - at - tag.size())));
}

// RFC 5764 §4.2 order: client key, server key, client salt, server salt.
std::string ExporterBlock(const SrtpKeyingMaterial& m, DtlsRole role) {
  const bool client = role == DtlsRole::kClient;
  const auto& ck = client ? m.local_key : m.remote_key;
  const auto& sk = client ? m.remote_key : m.local_key;
  const auto& cs = client ? m.local_salt : m.remote_salt;
  const auto& ss = client ? m.remote_salt : m.local_salt;
  return Hex(ck) + Hex(sk) + Hex(cs) + Hex(ss);
}

TEST(DtlsRealnetTest, OurClientAgainstOpensslServer) {
  RealEnv env;
  PemIdentity peer = MakeOpensslIdentity("opensslserver");
  ASSERT_NE(peer.certificate, nullptr);
  const uint16_t port = FreeUdpPort(env);
  Child server;
  ASSERT_NO_FATAL_FAILURE(server.Start(
      {"openssl", "s_server", "-dtls1_2", "-accept", absl::StrCat("127.0.0.1:", port), "-cert",
       peer.cert_path, "-key", peer.key_path, "-use_srtp",
       "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM", "-keymatexport", "EXTRACTOR-dtls_srtp",
       "-keymatexportlen", "60", "-verify", "1", "-naccept", "1"},
      absl::StrCat(TempDir(), "/s_server.out")));
  ASSERT_TRUE(PollUntil(
      env, [&] { return server.Output().find("ACCEPT") != std::string::npos; }, kTimeout))
      << server.Output();

  auto our_cert = DtlsCertificate::Generate(env);
  ASSERT_TRUE(our_cert.ok());
  Endpoint client;
  DtlsTransportConfig config;
  config.role = DtlsRole::kClient;
  config.certificate = *our_cert;
  config.remote_fingerprints = {peer.certificate->fingerprint()};
  MakeEndpoint(env, client, config);
  client.remote = SocketAddress(kLoopback, port);
  ASSERT_TRUE(client.transport->Start().ok());
  ASSERT_TRUE(env.RunUntil(
      [&] { return client.transport->state() != DtlsTransportState::kConnecting; }, kTimeout));
  ASSERT_EQ(client.transport->state(), DtlsTransportState::kConnected)
      << client.transport->error() << "\n"
      << server.Output();
  // The server's preference (CM first) decides (RFC 5764 §4.1.1).
  auto keys = client.transport->srtp_keying_material();
  ASSERT_TRUE(keys.has_value());
  EXPECT_EQ(keys->profile, SrtpProfile::kAes128CmSha1_80);
  ASSERT_TRUE(client.transport->Send(Bytes("hello from rtcsim\n")).ok());
  server.Write("hello from openssl\n");
  ASSERT_TRUE(PollUntil(
      env,
      [&] {
        return !client.received.empty() &&
               server.Output().find("hello from rtcsim") != std::string::npos;
      },
      kTimeout))
      << server.Output();
  EXPECT_EQ(std::string(client.received[0].begin(), client.received[0].end()),
            "hello from openssl\n");
  const std::string output = server.Output();
  EXPECT_THAT(output, HasSubstr("SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80"));
  EXPECT_EQ(KeyingMaterial(output), ExporterBlock(*keys, DtlsRole::kClient));
  client.transport->Close();
}

TEST(DtlsRealnetTest, OurServerAgainstOpensslClient) {
  RealEnv env;
  PemIdentity peer = MakeOpensslIdentity("opensslclient");
  ASSERT_NE(peer.certificate, nullptr);
  auto our_cert = DtlsCertificate::Generate(env);
  ASSERT_TRUE(our_cert.ok());
  // The client's address becomes known when its first datagram arrives.
  Endpoint ours;
  ours.learn_remote = true;
  DtlsTransportConfig config;
  config.role = DtlsRole::kServer;
  config.certificate = *our_cert;
  config.remote_fingerprints = {peer.certificate->fingerprint()};
  MakeEndpoint(env, ours, config);
  ASSERT_TRUE(ours.transport->Start().ok());

  Child client;
  ASSERT_NO_FATAL_FAILURE(
      client.Start({"openssl", "s_client", "-dtls1_2", "-connect",
                    absl::StrCat("127.0.0.1:", ours.socket->local_address().port()), "-cert",
                    peer.cert_path, "-key", peer.key_path, "-use_srtp", "SRTP_AEAD_AES_128_GCM",
                    "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", "56"},
                   absl::StrCat(TempDir(), "/s_client.out")));
  ASSERT_TRUE(env.RunUntil(
      [&] { return ours.transport->state() != DtlsTransportState::kConnecting; }, kTimeout))
      << client.Output();
  ASSERT_EQ(ours.transport->state(), DtlsTransportState::kConnected)
      << ours.transport->error() << "\n"
      << client.Output();
  auto keys = ours.transport->srtp_keying_material();
  ASSERT_TRUE(keys.has_value());
  EXPECT_EQ(keys->profile, SrtpProfile::kAeadAes128Gcm);
  client.Write("hello from openssl\n");
  ASSERT_TRUE(ours.transport->Send(Bytes("hello from rtcsim\n")).ok());
  ASSERT_TRUE(PollUntil(
      env,
      [&] {
        return !ours.received.empty() &&
               client.Output().find("hello from rtcsim") != std::string::npos &&
               !KeyingMaterial(client.Output()).empty();
      },
      kTimeout))
      << client.Output();
  EXPECT_EQ(std::string(ours.received[0].begin(), ours.received[0].end()), "hello from openssl\n");
  EXPECT_EQ(KeyingMaterial(client.Output()), ExporterBlock(*keys, DtlsRole::kServer));
  ours.transport->Close();
}

}  // namespace
}  // namespace rtcsim::dtls
