// Same seed, same bytes (../shared/DESIGN.md §4): two DTLS-SRTP handshakes
// with the same seed, in one process, produce byte-identical captures
// (certificates, randoms, ECDHE shares, signatures, encrypted records) and
// keys; another seed changes everything. Links the libc time interposer.
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "stack/dtls/dtls_test_util.h"
#include "stack/dtls/dtls_transport.h"

namespace rtcsim::dtls {
namespace {

using testing::DtlsPair;
using testing::DtlsPairOptions;

struct RunResult {
  std::vector<uint8_t> client_capture;
  std::vector<uint8_t> server_capture;
  std::vector<uint8_t> client_certificate;
  std::vector<uint8_t> server_certificate;
  SrtpKeyingMaterial keys;
  std::vector<std::string> key_log;
  uint64_t retransmissions = 0;
};

RunResult RunHandshake(uint64_t seed, double loss) {
  DtlsPairOptions options;
  options.seed = seed;
  options.client_link.loss = simnet::LossModel::Bernoulli(loss);
  DtlsPair pair(options);
  pair.Create();
  pair.Start();
  EXPECT_TRUE(pair.RunUntilConnected(TimeDelta::Seconds(120)));
  EXPECT_TRUE(pair.client().transport->Send(std::vector<uint8_t>{1, 2, 3}).ok());
  EXPECT_TRUE(pair.server().transport->Send(std::vector<uint8_t>{4, 5, 6}).ok());
  pair.net().RunFor(TimeDelta::Millis(100));
  pair.client().transport->Close();
  pair.net().RunFor(TimeDelta::Millis(100));
  RunResult r;
  r.client_capture = pair.client().capture->bytes();
  r.server_capture = pair.server().capture->bytes();
  r.client_certificate = pair.client().certificate->der();
  r.server_certificate = pair.server().certificate->der();
  r.keys = *pair.client().transport->srtp_keying_material();
  r.key_log = pair.client().key_log;
  r.retransmissions = pair.client().transport->stats().retransmissions +
                      pair.server().transport->stats().retransmissions;
  return r;
}

TEST(DtlsDeterminismTest, SameSeedGivesIdenticalBytes) {
  for (double loss : {0.0, 0.2}) {
    SCOPED_TRACE(loss);
    RunResult a = RunHandshake(7, loss);
    RunResult b = RunHandshake(7, loss);
    EXPECT_GT(a.client_capture.size(), 1000u);
    EXPECT_EQ(a.client_capture, b.client_capture);
    EXPECT_EQ(a.server_capture, b.server_capture);
    EXPECT_EQ(a.client_certificate, b.client_certificate);
    EXPECT_EQ(a.server_certificate, b.server_certificate);
    EXPECT_EQ(a.keys.local_key, b.keys.local_key);
    EXPECT_EQ(a.keys.remote_salt, b.keys.remote_salt);
    EXPECT_EQ(a.key_log, b.key_log);
    EXPECT_EQ(a.retransmissions, b.retransmissions);
  }
}

TEST(DtlsDeterminismTest, AnotherSeedChangesEverything) {
  RunResult a = RunHandshake(7, 0);
  RunResult b = RunHandshake(8, 0);
  EXPECT_NE(a.client_capture, b.client_capture);
  EXPECT_NE(a.client_certificate, b.client_certificate);
  EXPECT_NE(a.server_certificate, b.server_certificate);
  EXPECT_NE(a.keys.local_key, b.keys.local_key);
  EXPECT_NE(a.key_log, b.key_log);
  // Different certificates on the two peers of one run.
  EXPECT_NE(a.client_certificate, a.server_certificate);
}

}  // namespace
}  // namespace rtcsim::dtls
