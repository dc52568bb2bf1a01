// Interop between Debian's stock libsrtp2 crypto (NSS) and the OpenSSL
// replacements, in one process: a session keeps the cipher and auth
// objects it was created with, so sessions created before
// InstallOpenSslCrypto() run on NSS and those created after on OpenSSL.
// This binary must therefore install nothing before it has made its stock
// sessions, which is why it is not part of openssl_crypto_test.
#include <srtp2/srtp.h>

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "stack/srtp/openssl_crypto.h"
#include "stack/srtp/srtp_test_util.h"

namespace rtcsim::srtp {
namespace {

using ::rtcsim::srtp::testing::AllProfiles;
using ::rtcsim::srtp::testing::CreateSession;
using ::rtcsim::srtp::testing::MakeRtcp;
using ::rtcsim::srtp::testing::MakeRtp;
using ::rtcsim::srtp::testing::Profile;
using ::rtcsim::srtp::testing::RtcpLength;
using ::rtcsim::srtp::testing::TestMasterKey;
using ::rtcsim::srtp::testing::ToHex;

struct Sessions {
  srtp_t tx = nullptr;
  srtp_t rx = nullptr;
  ~Sessions() {
    if (tx != nullptr) srtp_dealloc(tx);
    if (rx != nullptr) srtp_dealloc(rx);
  }
};

std::vector<uint8_t> Payload(size_t n, uint32_t seed) {
  std::vector<uint8_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>((seed * 131 + i * 17) >> 1);
  return p;
}

// Protects `plain` (RTP or RTCP) with `tx`, returning the SRTP/SRTCP bytes.
std::vector<uint8_t> Protect(srtp_t tx, bool rtcp, std::vector<uint8_t> buffer, int plain_len) {
  int len = plain_len;
  const srtp_err_status_t err =
      rtcp ? srtp_protect_rtcp(tx, buffer.data(), &len) : srtp_protect(tx, buffer.data(), &len);
  EXPECT_EQ(err, srtp_err_status_ok);
  buffer.resize(err == srtp_err_status_ok ? len : 0);
  return buffer;
}

// Unprotects with `rx`; returns the plaintext packet, or empty on failure.
std::vector<uint8_t> Unprotect(srtp_t rx, bool rtcp, std::vector<uint8_t> packet,
                               srtp_err_status_t* err) {
  int len = packet.size();
  *err =
      rtcp ? srtp_unprotect_rtcp(rx, packet.data(), &len) : srtp_unprotect(rx, packet.data(), &len);
  packet.resize(*err == srtp_err_status_ok ? len : 0);
  return packet;
}

TEST(OpenSslCryptoInteropTest, StockAndOpenSslAgreeByteForByteBothWays) {
  ASSERT_EQ(srtp_init(), srtp_err_status_ok);
  ASSERT_FALSE(OpenSslCryptoInstalled());
  const std::vector<Profile>& profiles = AllProfiles();
  std::vector<Sessions> stock(profiles.size());
  std::vector<Sessions> ours(profiles.size());
  for (size_t i = 0; i < profiles.size(); ++i) {
    ASSERT_EQ(CreateSession(profiles[i], TestMasterKey(), ssrc_any_outbound, &stock[i].tx),
              srtp_err_status_ok);
    ASSERT_EQ(CreateSession(profiles[i], TestMasterKey(), ssrc_any_inbound, &stock[i].rx),
              srtp_err_status_ok);
  }
  const absl::Status installed = InstallOpenSslCrypto();
  ASSERT_TRUE(installed.ok()) << installed;
  for (size_t i = 0; i < profiles.size(); ++i) {
    ASSERT_EQ(CreateSession(profiles[i], TestMasterKey(), ssrc_any_outbound, &ours[i].tx),
              srtp_err_status_ok);
    ASSERT_EQ(CreateSession(profiles[i], TestMasterKey(), ssrc_any_inbound, &ours[i].rx),
              srtp_err_status_ok);
  }

  constexpr uint32_t kSsrc = 0x31415926;
  for (size_t i = 0; i < profiles.size(); ++i) {
    SCOPED_TRACE(profiles[i].name);
    // Sequence numbers run across a wrap so the rollover counter (which
    // feeds the IV and, for HMAC, the tag) takes part too.
    uint16_t seq = 65530;
    uint32_t n = 0;
    for (bool rtcp : {false, true}) {
      for (size_t size : {size_t{0}, size_t{1}, size_t{17}, size_t{160}, size_t{1200}}) {
        for (int repeat = 0; repeat < 3; ++repeat, ++seq, ++n) {
          SCOPED_TRACE(::testing::Message()
                       << (rtcp ? "RTCP" : "RTP") << " size " << size << " seq " << seq);
          const std::vector<uint8_t> payload = Payload(size, n);
          const std::vector<uint8_t> buffer =
              rtcp ? MakeRtcp(kSsrc, payload) : MakeRtp(seq, kSsrc, payload);
          const int plain_len = rtcp ? RtcpLength(buffer) : 12 + static_cast<int>(size);
          const std::vector<uint8_t> plain(buffer.begin(), buffer.begin() + plain_len);

          // Same keys, same index: the two implementations must produce
          // the same packet.
          const std::vector<uint8_t> from_stock = Protect(stock[i].tx, rtcp, buffer, plain_len);
          const std::vector<uint8_t> from_ours = Protect(ours[i].tx, rtcp, buffer, plain_len);
          ASSERT_FALSE(from_stock.empty());
          EXPECT_EQ(ToHex(from_ours), ToHex(from_stock));

          // A forged stock packet fails with ours (flip the last tag or
          // index octet's top bit: never a replay, always a fresh value).
          std::vector<uint8_t> forged = from_stock;
          forged[rtcp ? plain_len - 1 : forged.size() - 1] ^= 0x80;
          srtp_err_status_t err;
          Unprotect(ours[i].rx, rtcp, forged, &err);
          EXPECT_EQ(err, srtp_err_status_auth_fail);

          // Stock -> ours, and ours -> stock.
          EXPECT_EQ(Unprotect(ours[i].rx, rtcp, from_stock, &err), plain);
          EXPECT_EQ(err, srtp_err_status_ok);
          EXPECT_EQ(Unprotect(stock[i].rx, rtcp, from_ours, &err), plain);
          EXPECT_EQ(err, srtp_err_status_ok);

          // And each side's replay window saw the packet.
          Unprotect(ours[i].rx, rtcp, from_stock, &err);
          EXPECT_EQ(err, srtp_err_status_replay_fail);
          Unprotect(stock[i].rx, rtcp, from_ours, &err);
          EXPECT_EQ(err, srtp_err_status_replay_fail);
        }
      }
    }
  }
}

}  // namespace
}  // namespace rtcsim::srtp
