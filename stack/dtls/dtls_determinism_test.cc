// Same seed, same bytes (../shared/DESIGN.md §4): two DTLS-SRTP handshakes
// with the same seed, in one process, produce byte-identical captures
// (certificates, randoms, ECDHE shares, signatures, encrypted records) and
// keys; another seed changes everything. Application data too: every
// datagram, including the AES-GCM records' explicit nonces (RFC 5288 §3,
// drawn by OpenSSL's GCM provider from the RAND at key setup), is the same
// in two runs in one process and in two fresh processes (a different
// address-space layout each), and differs with another seed. Links the libc
// time interposer.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "stack/dtls/dtls_record.h"
#include "stack/dtls/dtls_test_util.h"
#include "stack/dtls/dtls_transport.h"

extern char** environ;

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

// ---- Application data ------------------------------------------------------

constexpr int kMessagesEachWay = 40;
constexpr uint8_t kApplicationData = 23;

struct AppDataRun {
  // Every datagram each side sent, in order (handshake, app data, alerts).
  std::vector<std::vector<uint8_t>> client_sent;
  std::vector<std::vector<uint8_t>> server_sent;
  std::vector<std::vector<uint8_t>> client_received;
  std::vector<std::vector<uint8_t>> server_received;
};

// The 8-byte explicit nonces of the application-data records in `datagrams`
// (epoch >= 1: the record header is followed by nonce | ciphertext | tag).
std::vector<uint64_t> ExplicitNonces(const std::vector<std::vector<uint8_t>>& datagrams) {
  std::vector<uint64_t> nonces;
  for (const auto& d : datagrams) {
    auto records = ParseDtlsRecords(d);
    if (!records.ok()) continue;
    for (const DtlsRecord& r : *records) {
      if (r.content_type != kApplicationData || r.epoch == 0 || r.fragment.size() < 8) continue;
      uint64_t n = 0;
      for (int i = 0; i < 8; ++i) n = n << 8 | r.fragment[i];
      nonces.push_back(n);
    }
  }
  return nonces;
}

AppDataRun RunApplicationData(uint64_t seed) {
  DtlsPairOptions options;
  options.seed = seed;
  DtlsPair pair(options);
  pair.Create();
  pair.Start();
  EXPECT_TRUE(pair.RunUntilConnected(TimeDelta::Seconds(60)));
  // Interleaved both ways, sizes 1..~1000 bytes, some in the same instant.
  for (int i = 0; i < kMessagesEachWay; ++i) {
    std::vector<uint8_t> m(1 + (i * 97) % 1000, static_cast<uint8_t>(i));
    EXPECT_TRUE(pair.client().transport->Send(m).ok());
    m.push_back(0xee);
    EXPECT_TRUE(pair.server().transport->Send(m).ok());
    if (i % 3 == 0) pair.net().RunFor(TimeDelta::Millis(7));
  }
  pair.net().RunFor(TimeDelta::Millis(200));
  pair.server().transport->Close();
  pair.net().RunFor(TimeDelta::Millis(100));
  AppDataRun run;
  for (const auto& d : pair.SentBy(pair.client())) run.client_sent.push_back(d.payload);
  for (const auto& d : pair.SentBy(pair.server())) run.server_sent.push_back(d.payload);
  run.client_received = pair.client().received;
  run.server_received = pair.server().received;
  return run;
}

TEST(DtlsDeterminismTest, ApplicationDataSameSeedSameDatagrams) {
  AppDataRun a = RunApplicationData(7);
  AppDataRun b = RunApplicationData(7);
  ASSERT_EQ(a.server_received.size(), size_t{kMessagesEachWay});
  ASSERT_EQ(a.client_received.size(), size_t{kMessagesEachWay});
  // All of them, one by one, so a failure names the first datagram.
  ASSERT_EQ(a.client_sent.size(), b.client_sent.size());
  for (size_t i = 0; i < a.client_sent.size(); ++i) {
    EXPECT_EQ(a.client_sent[i], b.client_sent[i]) << "client datagram " << i;
  }
  ASSERT_EQ(a.server_sent.size(), b.server_sent.size());
  for (size_t i = 0; i < a.server_sent.size(); ++i) {
    EXPECT_EQ(a.server_sent[i], b.server_sent[i]) << "server datagram " << i;
  }
  // The records are there and count up from a seeded start (RFC 5288 §3).
  for (const auto* sent : {&a.client_sent, &a.server_sent}) {
    std::vector<uint64_t> nonces = ExplicitNonces(*sent);
    ASSERT_GE(nonces.size(), size_t{kMessagesEachWay});
    for (size_t i = 1; i < nonces.size(); ++i) EXPECT_EQ(nonces[i], nonces[i - 1] + 1) << i;
  }
  EXPECT_EQ(ExplicitNonces(a.client_sent), ExplicitNonces(b.client_sent));
  EXPECT_EQ(ExplicitNonces(a.server_sent), ExplicitNonces(b.server_sent));
}

TEST(DtlsDeterminismTest, ApplicationDataAnotherSeedOtherNonces) {
  AppDataRun a = RunApplicationData(7);
  AppDataRun b = RunApplicationData(8);
  EXPECT_EQ(a.server_received, b.server_received);  // same plaintext
  std::vector<uint64_t> na = ExplicitNonces(a.client_sent), nb = ExplicitNonces(b.client_sent);
  ASSERT_FALSE(na.empty());
  ASSERT_FALSE(nb.empty());
  EXPECT_NE(na.front(), nb.front());
  EXPECT_NE(ExplicitNonces(a.server_sent).front(), ExplicitNonces(b.server_sent).front());
  // The two directions draw their own invocation fields.
  EXPECT_NE(na.front(), ExplicitNonces(a.server_sent).front());
}

// ---- Across processes ------------------------------------------------------
//
// Two runs in one process share the address-space layout; a capture that
// depends on pointer values (or on anything else per-process) only shows
// across processes. The test re-executes its own binary twice, each child
// writing its run, and compares them with each other and with this process.

constexpr char kChildOutputEnv[] = "RTCSIM_DTLS_DETERMINISM_CHILD_OUT";

std::string Serialize(const AppDataRun& run) {
  std::string out;
  for (const auto* list : {&run.client_sent, &run.server_sent}) {
    absl::StrAppend(&out, "list ", list->size(), "\n");
    for (const auto& d : *list) {
      absl::StrAppend(&out, d.size(), ":");
      out.append(d.begin(), d.end());
      out.push_back('\n');
    }
  }
  return out;
}

// Not a test of its own: the body of the child process.
TEST(DtlsDeterminismTest, ChildProcessRun) {
  const char* path = std::getenv(kChildOutputEnv);
  if (path == nullptr) GTEST_SKIP() << "runs as the child of ApplicationDataSameAcrossProcesses";
  std::ofstream(path, std::ios::binary) << Serialize(RunApplicationData(7));
}

std::string RunChild(const std::string& path) {
  std::string self(4096, '\0');
  ssize_t n = readlink("/proc/self/exe", self.data(), self.size() - 1);
  if (n <= 0) return "";
  self.resize(static_cast<size_t>(n));
  std::string filter = "--gtest_filter=DtlsDeterminismTest.ChildProcessRun";
  char* argv[] = {self.data(), filter.data(), nullptr};
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("GTEST_", 0) == 0) continue;  // no sharding, no XML
    if (std::string(*e).rfind("XML_OUTPUT_FILE=", 0) == 0) continue;
    env_strings.emplace_back(*e);
  }
  env_strings.push_back(absl::StrCat(kChildOutputEnv, "=", path));
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv, envp.data()) != 0) return "";
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return "";
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(DtlsDeterminismTest, ApplicationDataSameAcrossProcesses) {
  if (std::getenv(kChildOutputEnv) != nullptr) GTEST_SKIP();
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = tmp != nullptr ? tmp : "/tmp";
  const std::string first = RunChild(dir + "/dtls_determinism_child_1");
  const std::string second = RunChild(dir + "/dtls_determinism_child_2");
  ASSERT_FALSE(first.empty()) << "child process failed";
  ASSERT_FALSE(second.empty()) << "child process failed";
  EXPECT_TRUE(first == second) << "same seed, different datagrams in two fresh processes";
  EXPECT_TRUE(first == Serialize(RunApplicationData(7))) << "child differs from this process";
}

}  // namespace
}  // namespace rtcsim::dtls
