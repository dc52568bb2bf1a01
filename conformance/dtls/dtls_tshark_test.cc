// A simulated DTLS-SRTP handshake's capture, as tshark (Wireshark 4.0)
// sees it: every record dissects as DTLS 1.2 with nothing malformed, the
// handshake messages of RFC 6347 §4.2 appear in order, the use_srtp
// extension (RFC 5764 §4.1.1) is visible, and with the transport's NSS key
// log (-o tls.keylog_file) tshark decrypts the application data.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stack/dtls/dtls_test_util.h"

namespace rtcsim::dtls {
namespace {

using ::testing::HasSubstr;

std::string OutDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

// Runs tshark with `args`; HOME points at the test's directory so that no
// user profile changes the dissection. Returns stdout.
std::string Tshark(const std::string& args) {
  const std::string cmd = absl::StrCat("env HOME='", OutDir(), "' XDG_CONFIG_HOME='", OutDir(),
                                       "/config' tshark ", args, " 2>/dev/null");
  std::string out;
  std::FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  const int status = pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "tshark failed (apt-get install tshark): " << cmd;
  return out;
}

std::string HexOf(absl::string_view text) {
  std::string out;
  for (unsigned char c : text) absl::StrAppend(&out, absl::Hex(c, absl::kZeroPad2));
  return out;
}

TEST(DtlsTsharkTest, CaptureDissectsAndDecryptsWithTheKeyLog) {
  testing::DtlsPair pair(testing::DtlsPairOptions{});
  pair.Create();
  pair.Start();
  ASSERT_TRUE(pair.RunUntilConnected());
  const std::string secret = "rtcsim secret payload";
  ASSERT_TRUE(
      pair.client().transport->Send(std::vector<uint8_t>(secret.begin(), secret.end())).ok());
  pair.net().RunFor(TimeDelta::Millis(100));
  pair.client().transport->Close();
  pair.net().RunFor(TimeDelta::Millis(100));

  const std::string capture = OutDir() + "/dtls.pcapng";
  const std::string key_log = OutDir() + "/dtls.keylog";
  ASSERT_TRUE(pair.client().capture->WriteToFile(capture).ok());
  std::ofstream(key_log) << absl::StrJoin(pair.client().key_log, "\n") << "\n";
  const std::string decode = absl::StrCat("-r '", capture, "' -d udp.port==5000,dtls");

  // Nothing malformed, and the full RFC 6347 handshake in order (types:
  // 1 ClientHello, 2 ServerHello, 11 Certificate, 12 ServerKeyExchange,
  // 13 CertificateRequest, 14 ServerHelloDone, 16 ClientKeyExchange,
  // 15 CertificateVerify; the Finished messages are encrypted).
  EXPECT_EQ(Tshark(decode + " -Y _ws.malformed"), "");
  std::string types = Tshark(decode + " -Y dtls.handshake.type -T fields -e dtls.handshake.type");
  EXPECT_THAT(types, HasSubstr("1\n2,11,12,13,14\n11,16,15\n")) << types;
  EXPECT_THAT(Tshark(decode + " -V -Y dtls.handshake.type==2"), HasSubstr("SRTP_AEAD_AES_128_GCM"));

  // Without the key log the application data stays opaque; with it,
  // tshark decrypts our payload.
  const std::string fields = " -T fields -e data.data -e dtls.alert_message.desc";
  EXPECT_THAT(Tshark(decode + fields), ::testing::Not(HasSubstr(HexOf(secret))));
  std::string decrypted =
      Tshark(absl::StrCat(decode, " -o tls.keylog_file:'", key_log, "'", fields));
  EXPECT_THAT(decrypted, HasSubstr(HexOf(secret))) << decrypted;
  // close_notify (alert description 0) decrypted too.
  EXPECT_THAT(decrypted, HasSubstr("\t0\n"));
}

}  // namespace
}  // namespace rtcsim::dtls
