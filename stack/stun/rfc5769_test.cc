// RFC 5769 test vectors: each one parses (integrity and fingerprint verify,
// addresses decode) and the builder reproduces it byte for byte.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stack/stun/stun_message.h"

namespace rtcsim::stun {
namespace {

std::vector<uint8_t> Hex(absl::string_view hex) {
  const std::string compact = absl::StrReplaceAll(hex, {{" ", ""}, {"\n", ""}});
  const std::string bytes = absl::HexStringToBytes(compact);
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

TransactionId Tid(absl::string_view hex) {
  std::vector<uint8_t> b = Hex(hex);
  TransactionId id;
  std::copy(b.begin(), b.end(), id.begin());
  return id;
}

constexpr char kPassword[] = "VOkJxbRl1RmTxUk/WvJxBt";

// RFC 5769 §2.1: request with SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME,
// MESSAGE-INTEGRITY and FINGERPRINT.
const std::vector<uint8_t> kRequest =
    Hex("000100582112a442b7e7a701bc34d686fa87dfae"
        "802200105354554e20746573742063 6c69656e74"
        "002400046e0001ff"
        "80290008932ff9b151263b36"
        "000600096576746a3a68367659202020"
        "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
        "80280004e57a3bcf");

// RFC 5769 §2.2: IPv4 success response.
const std::vector<uint8_t> kResponseV4 =
    Hex("0101003c2112a442b7e7a701bc34d686fa87dfae"
        "8022000b7465737420766563746f7220"
        "002000080001a147e112a643"
        "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
        "80280004c07d4c96");

// RFC 5769 §2.3: IPv6 success response.
const std::vector<uint8_t> kResponseV6 =
    Hex("010100482112a442b7e7a701bc34d686fa87dfae"
        "8022000b7465737420766563746f7220"
        "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9"
        "00080014a382954e4be67bf11784c97c8292c275bfe3ed41"
        "80280004c8fb0b4c");

// RFC 5769 §2.4: long-term credential request (no FINGERPRINT).
const std::vector<uint8_t> kLongTermRequest =
    Hex("000100602112a44278ad3433c6ad72c029da412e"
        "00060012e3839ee38388e383aae38383e382afe382b90000"
        "0015001c662f2f3439396b393534"
        "64364f4c33346f4c394653547679363473 41"
        "0014000b6578616d706c652e6f726700"
        "00080014f67024656dd64a3e02b8e0712e85c9a28ca89666");

// "マトリックス" in UTF-8 (U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9).
constexpr char kLongTermUsername[] =
    "\xE3\x83\x9E\xE3\x83\x88\xE3\x83\xAA\xE3\x83\x83\xE3\x82\xAF\xE3\x82\xB9";
// The SASLprep form of "The<U+00AD>M<U+00AA>tr<U+2168>" (RFC 5769 §2.4).
constexpr char kLongTermPassword[] = "TheMatrIX";
constexpr char kNonce[] = "f//499k954d6OL34oL9FSTvy64sA";
constexpr char kRealm[] = "example.org";

TEST(Rfc5769, VectorsHaveTheirStatedLengths) {
  EXPECT_EQ(kRequest.size(), 20u + 0x58);
  EXPECT_EQ(kResponseV4.size(), 20u + 0x3c);
  EXPECT_EQ(kResponseV6.size(), 20u + 0x48);
  EXPECT_EQ(kLongTermRequest.size(), 20u + 0x60);
}

TEST(Rfc5769, SampleRequestParses) {
  auto m = StunMessageView::Parse(kRequest);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->method(), StunMethod::kBinding);
  EXPECT_EQ(m->message_class(), StunClass::kRequest);
  EXPECT_EQ(m->transaction_id(), Tid("b7e7a701bc34d686fa87dfae"));
  EXPECT_TRUE(m->has_fingerprint());
  EXPECT_EQ(*m->GetString(attr::kSoftware), "STUN test client");
  EXPECT_EQ(*m->GetUint32(attr::kPriority), 0x6e0001ffu);
  EXPECT_EQ(*m->GetUint64(attr::kIceControlled), 0x932ff9b151263b36u);
  EXPECT_EQ(*m->GetString(attr::kUsername), "evtj:h6vY");
  EXPECT_EQ(m->CheckIntegrity(ShortTermKey(kPassword)), IntegrityResult::kOk);
  EXPECT_EQ(m->CheckIntegrity(ShortTermKey("wrong")), IntegrityResult::kMismatch);
  EXPECT_TRUE(m->UnknownComprehensionRequired().empty());
  EXPECT_EQ(m->ToString(),
            "Binding Request tid=b7e7a701bc34d686fa87dfae [SOFTWARE, PRIORITY, ICE-CONTROLLED, "
            "USERNAME, MESSAGE-INTEGRITY, FINGERPRINT]");
}

TEST(Rfc5769, SampleRequestRebuilds) {
  StunMessageBuilder b(StunMethod::kBinding, StunClass::kRequest, Tid("b7e7a701bc34d686fa87dfae"));
  b.set_padding_byte(0x20)
      .AddString(attr::kSoftware, "STUN test client")
      .AddUint32(attr::kPriority, 0x6e0001ff)
      .AddUint64(attr::kIceControlled, 0x932ff9b151263b36)
      .AddString(attr::kUsername, "evtj:h6vY")
      .AddMessageIntegrity(ShortTermKey(kPassword))
      .AddFingerprint();
  EXPECT_EQ(b.bytes(), kRequest);
}

TEST(Rfc5769, SampleIpv4ResponseParses) {
  auto m = StunMessageView::Parse(kResponseV4);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->message_class(), StunClass::kSuccessResponse);
  EXPECT_EQ(*m->GetString(attr::kSoftware), "test vector");
  auto mapped = m->GetXorAddress(attr::kXorMappedAddress);
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  EXPECT_EQ(*mapped, SocketAddress(IpAddress::V4(192, 0, 2, 1), 32853));
  EXPECT_EQ(m->CheckIntegrity(ShortTermKey(kPassword)), IntegrityResult::kOk);
  EXPECT_TRUE(m->has_fingerprint());
}

TEST(Rfc5769, SampleIpv4ResponseRebuilds) {
  StunMessageBuilder b(StunMethod::kBinding, StunClass::kSuccessResponse,
                       Tid("b7e7a701bc34d686fa87dfae"));
  b.set_padding_byte(0x20)
      .AddString(attr::kSoftware, "test vector")
      .AddXorAddress(attr::kXorMappedAddress, SocketAddress(IpAddress::V4(192, 0, 2, 1), 32853))
      .AddMessageIntegrity(ShortTermKey(kPassword))
      .AddFingerprint();
  EXPECT_EQ(b.bytes(), kResponseV4);
}

TEST(Rfc5769, SampleIpv6ResponseParses) {
  auto m = StunMessageView::Parse(kResponseV6);
  ASSERT_TRUE(m.ok()) << m.status();
  auto mapped = m->GetXorAddress(attr::kXorMappedAddress);
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  EXPECT_EQ(*mapped, *SocketAddress::Parse("[2001:db8:1234:5678:11:2233:4455:6677]:32853"));
  EXPECT_EQ(mapped->port(), 32853);
  EXPECT_EQ(m->CheckIntegrity(ShortTermKey(kPassword)), IntegrityResult::kOk);
}

TEST(Rfc5769, SampleIpv6ResponseRebuilds) {
  StunMessageBuilder b(StunMethod::kBinding, StunClass::kSuccessResponse,
                       Tid("b7e7a701bc34d686fa87dfae"));
  b.set_padding_byte(0x20)
      .AddString(attr::kSoftware, "test vector")
      .AddXorAddress(attr::kXorMappedAddress,
                     *SocketAddress::Parse("[2001:db8:1234:5678:11:2233:4455:6677]:32853"))
      .AddMessageIntegrity(ShortTermKey(kPassword))
      .AddFingerprint();
  EXPECT_EQ(b.bytes(), kResponseV6);
}

TEST(Rfc5769, LongTermRequestParses) {
  auto m = StunMessageView::Parse(kLongTermRequest);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_FALSE(m->has_fingerprint());
  EXPECT_EQ(*m->GetString(attr::kUsername), kLongTermUsername);
  EXPECT_EQ(*m->GetString(attr::kNonce), kNonce);
  EXPECT_EQ(*m->GetString(attr::kRealm), kRealm);
  EXPECT_EQ(m->CheckIntegrity(LongTermKey(kLongTermUsername, kRealm, kLongTermPassword)),
            IntegrityResult::kOk);
  // The password before SASLprep gives a different key.
  EXPECT_EQ(m->CheckIntegrity(LongTermKey(kLongTermUsername, kRealm,
                                          "The\xC2\xAD"
                                          "M\xC2\xAAtr\xE2\x85\xA8")),
            IntegrityResult::kMismatch);
}

TEST(Rfc5769, LongTermRequestRebuilds) {
  StunMessageBuilder b(StunMethod::kBinding, StunClass::kRequest, Tid("78ad3433c6ad72c029da412e"));
  b.AddString(attr::kUsername, kLongTermUsername)
      .AddString(attr::kNonce, kNonce)
      .AddString(attr::kRealm, kRealm)
      .AddMessageIntegrity(LongTermKey(kLongTermUsername, kRealm, kLongTermPassword));
  EXPECT_EQ(b.bytes(), kLongTermRequest);
}

TEST(Rfc5769, LongTermKeyIsMd5OfUserRealmPassword) {
  // MD5("user:realm:pass") computed independently (md5sum).
  EXPECT_EQ(absl::BytesToHexString(std::string([] {
              auto k = LongTermKey("user", "realm", "pass");
              return std::string(k.begin(), k.end());
            }())),
            "8493fbc53ba582fb4c044c456bdc40eb");
}

}  // namespace
}  // namespace rtcsim::stun
