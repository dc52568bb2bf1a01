#include "stack/stun/stun_message.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rtcsim::stun {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const TransactionId kTid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

SocketAddress Addr(absl::string_view s) { return *SocketAddress::Parse(s); }

StunMessageView MustParse(const std::vector<uint8_t>& bytes) {
  auto m = StunMessageView::Parse(bytes);
  EXPECT_TRUE(m.ok()) << m.status();
  return *m;
}

TEST(StunMessage, HeaderRoundTripForEveryMethodAndClass) {
  for (StunMethod method : {StunMethod::kBinding, StunMethod::kAllocate, StunMethod::kRefresh,
                            StunMethod::kSend, StunMethod::kData, StunMethod::kCreatePermission,
                            StunMethod::kChannelBind, static_cast<StunMethod>(0xFFF)}) {
    for (StunClass cls : {StunClass::kRequest, StunClass::kIndication, StunClass::kSuccessResponse,
                          StunClass::kErrorResponse}) {
      std::vector<uint8_t> bytes = StunMessageBuilder(method, cls, kTid).bytes();
      ASSERT_EQ(bytes.size(), kHeaderSize);
      auto m = StunMessageView::Parse(bytes);
      ASSERT_TRUE(m.ok()) << m.status();
      EXPECT_EQ(m->method(), method);
      EXPECT_EQ(m->method_bits(), static_cast<uint16_t>(method));
      EXPECT_EQ(m->message_class(), cls);
      EXPECT_EQ(m->transaction_id(), kTid);
      EXPECT_TRUE(m->attributes().empty());
    }
  }
}

TEST(StunMessage, TypeEncodingMatchesRfc) {
  // RFC 8489 §5: Binding request 0x0001, success 0x0101, error 0x0111,
  // indication 0x0011; Allocate error response 0x0113.
  auto type = [](StunMethod m, StunClass c) {
    auto b = StunMessageBuilder(m, c, kTid).bytes();
    return (b[0] << 8) | b[1];
  };
  EXPECT_EQ(type(StunMethod::kBinding, StunClass::kRequest), 0x0001);
  EXPECT_EQ(type(StunMethod::kBinding, StunClass::kSuccessResponse), 0x0101);
  EXPECT_EQ(type(StunMethod::kBinding, StunClass::kErrorResponse), 0x0111);
  EXPECT_EQ(type(StunMethod::kBinding, StunClass::kIndication), 0x0011);
  EXPECT_EQ(type(StunMethod::kAllocate, StunClass::kErrorResponse), 0x0113);
  EXPECT_EQ(type(StunMethod::kData, StunClass::kIndication), 0x0017);
}

TEST(StunMessage, EveryAttributeKindRoundTrips) {
  const uint8_t data[] = {0xde, 0xad, 0xbe, 0xef, 0x01};
  const uint16_t unknown[] = {0x7777, 0x0030, 0x0040};
  StunMessageBuilder b(StunMethod::kAllocate, StunClass::kSuccessResponse, kTid);
  b.AddAddress(attr::kMappedAddress, Addr("192.0.2.7:1234"))
      .AddAddress(attr::kAlternateServer, Addr("[2001:db8::9]:3478"))
      .AddXorAddress(attr::kXorMappedAddress, Addr("203.0.113.5:40000"))
      .AddXorAddress(attr::kXorRelayedAddress, Addr("[2001:db8:1::77]:50000"))
      .AddXorAddress(attr::kXorPeerAddress, Addr("0.0.0.0:0"))
      .AddString(attr::kSoftware, "rtcsim")
      .AddString(attr::kRealm, "")
      .AddBytes(attr::kData, data)
      .AddUint32(attr::kLifetime, 600)
      .AddUint64(attr::kIceControlling, 0x0123456789abcdefULL)
      .AddFlag(attr::kUseCandidate)
      .AddErrorCode(438, "Stale Nonce")
      .AddUnknownAttributes(unknown)
      .AddChannelNumber(0x4001)
      .AddRequestedTransport(17);
  const std::vector<uint8_t> bytes = b.bytes();
  EXPECT_EQ(bytes.size() % 4, 0u);
  StunMessageView m = MustParse(bytes);
  EXPECT_EQ(*m.GetAddress(attr::kMappedAddress), Addr("192.0.2.7:1234"));
  EXPECT_EQ(*m.GetAddress(attr::kAlternateServer), Addr("[2001:db8::9]:3478"));
  EXPECT_EQ(*m.GetXorAddress(attr::kXorMappedAddress), Addr("203.0.113.5:40000"));
  EXPECT_EQ(*m.GetXorAddress(attr::kXorRelayedAddress), Addr("[2001:db8:1::77]:50000"));
  EXPECT_EQ(*m.GetXorAddress(attr::kXorPeerAddress), Addr("0.0.0.0:0"));
  EXPECT_EQ(*m.GetString(attr::kSoftware), "rtcsim");
  EXPECT_EQ(*m.GetString(attr::kRealm), "");
  const RawAttribute* d = m.Find(attr::kData);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(std::vector<uint8_t>(d->value.begin(), d->value.end()),
            std::vector<uint8_t>(std::begin(data), std::end(data)));
  EXPECT_EQ(*m.GetUint32(attr::kLifetime), 600u);
  EXPECT_EQ(*m.GetUint64(attr::kIceControlling), 0x0123456789abcdefULL);
  EXPECT_TRUE(m.Has(attr::kUseCandidate));
  EXPECT_TRUE(m.Find(attr::kUseCandidate)->value.empty());
  auto ec = m.GetErrorCode();
  ASSERT_TRUE(ec.ok()) << ec.status();
  EXPECT_EQ(ec->code, 438);
  EXPECT_EQ(ec->reason, "Stale Nonce");
  EXPECT_THAT(*m.GetUnknownAttributes(), ElementsAre(0x7777, 0x0030, 0x0040));
  EXPECT_EQ(*m.GetChannelNumber(), 0x4001);
  EXPECT_EQ(*m.GetRequestedTransport(), 17);
  EXPECT_EQ(m.attributes().size(), 15u);
  // Offsets point at the attribute headers, in order.
  EXPECT_EQ(m.attributes()[0].offset, kHeaderSize);
  for (size_t i = 1; i < m.attributes().size(); ++i) {
    EXPECT_GT(m.attributes()[i].offset, m.attributes()[i - 1].offset);
    EXPECT_EQ(m.attributes()[i].offset % 4, 0u);
  }
}

TEST(StunMessage, XorAddressesAreXoredOnTheWire) {
  // RFC 8489 §14.2: IPv4 XOR cookie, port XOR cookie's top half.
  auto bytes = StunMessageBuilder(StunMethod::kBinding, StunClass::kSuccessResponse, kTid)
                   .AddXorAddress(attr::kXorMappedAddress, Addr("1.2.3.4:5"))
                   .bytes();
  const std::vector<uint8_t> value(bytes.begin() + 24, bytes.end());
  EXPECT_THAT(value,
              ElementsAre(0, 1, 0x00 ^ 0x21, 0x05 ^ 0x12, 1 ^ 0x21, 2 ^ 0x12, 3 ^ 0xA4, 4 ^ 0x42));
  // IPv6 additionally XORs with the transaction id, so a different id gives
  // different bytes but the same decoded address.
  const TransactionId other = {12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  auto v6a = StunMessageBuilder(StunMethod::kBinding, StunClass::kSuccessResponse, kTid)
                 .AddXorAddress(attr::kXorMappedAddress, Addr("[2001:db8::1]:9"))
                 .bytes();
  auto v6b = StunMessageBuilder(StunMethod::kBinding, StunClass::kSuccessResponse, other)
                 .AddXorAddress(attr::kXorMappedAddress, Addr("[2001:db8::1]:9"))
                 .bytes();
  EXPECT_NE(v6a, v6b);
  EXPECT_EQ(*MustParse(v6a).GetXorAddress(attr::kXorMappedAddress), Addr("[2001:db8::1]:9"));
  EXPECT_EQ(*MustParse(v6b).GetXorAddress(attr::kXorMappedAddress), Addr("[2001:db8::1]:9"));
  // Read as a plain address it is different (the XOR is really applied).
  EXPECT_NE(*MustParse(v6a).GetAddress(attr::kXorMappedAddress), Addr("[2001:db8::1]:9"));
}

TEST(StunMessage, FindReturnsFirstOfRepeatedAttributes) {
  auto bytes = StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, kTid)
                   .AddString(attr::kUsername, "first")
                   .AddString(attr::kUsername, "second")
                   .bytes();
  StunMessageView m = MustParse(bytes);
  EXPECT_EQ(*m.GetString(attr::kUsername), "first");
  EXPECT_EQ(m.attributes().size(), 2u);
}

TEST(StunMessage, TypedGettersReportAbsentAndMalformed) {
  const uint8_t three[] = {1, 2, 3};
  const uint8_t bad_family[] = {0, 3, 0, 1, 1, 2, 3, 4};
  const uint8_t short_v6[] = {0, 2, 0, 1, 1, 2, 3, 4};
  const uint8_t bad_class[] = {0, 0, 7, 1};
  const uint8_t bad_number[] = {0, 0, 4, 100};
  auto bytes = StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, kTid)
                   .AddBytes(attr::kPriority, three)
                   .AddBytes(attr::kMappedAddress, bad_family)
                   .AddBytes(attr::kXorMappedAddress, short_v6)
                   .AddBytes(attr::kErrorCode, bad_class)
                   .AddBytes(attr::kUnknownAttributes, three)
                   .AddBytes(attr::kChannelNumber, three)
                   .AddBytes(attr::kRequestedTransport, three)
                   .AddBytes(attr::kIceControlled, three)
                   .bytes();
  StunMessageView m = MustParse(bytes);
  EXPECT_EQ(m.GetString(attr::kSoftware).status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(m.GetString(attr::kSoftware).status().message(), HasSubstr("SOFTWARE"));
  auto prio = m.GetUint32(attr::kPriority);
  EXPECT_EQ(prio.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(prio.status().message(),
              HasSubstr("STUN attribute 0x0024 (PRIORITY) at offset 20: length 3, expected 4"));
  EXPECT_THAT(m.GetAddress(attr::kMappedAddress).status().message(),
              HasSubstr("unknown address family 0x03"));
  EXPECT_THAT(m.GetXorAddress(attr::kXorMappedAddress).status().message(),
              HasSubstr("XOR-MAPPED-ADDRESS"));
  EXPECT_THAT(m.GetErrorCode().status().message(), HasSubstr("class 7"));
  EXPECT_EQ(m.GetUnknownAttributes().status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(m.GetChannelNumber().status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(m.GetRequestedTransport().status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(m.GetUint64(attr::kIceControlled).status().code(), absl::StatusCode::kInvalidArgument);

  auto bytes2 = StunMessageBuilder(StunMethod::kBinding, StunClass::kErrorResponse, kTid)
                    .AddBytes(attr::kErrorCode, bad_number)
                    .bytes();
  EXPECT_THAT(MustParse(bytes2).GetErrorCode().status().message(), HasSubstr("number 100"));
}

TEST(StunMessage, IntegrityShortTermSha1AndSha256) {
  const std::vector<uint8_t> key = ShortTermKey("secret");
  for (int variant = 0; variant < 4; ++variant) {
    StunMessageBuilder b(StunMethod::kBinding, StunClass::kRequest, kTid);
    b.AddString(attr::kUsername, "a:b").AddUint32(attr::kPriority, 7);
    if (variant == 0) b.AddMessageIntegrity(key);
    if (variant == 1) b.AddMessageIntegritySha256(key);
    if (variant == 2) b.AddMessageIntegritySha256(key, 16);
    if (variant == 3) b.AddMessageIntegrity(key).AddMessageIntegritySha256(key, 24);
    b.AddFingerprint();
    const std::vector<uint8_t> bytes = b.bytes();
    StunMessageView m = MustParse(bytes);
    EXPECT_EQ(m.CheckIntegrity(key), IntegrityResult::kOk) << variant;
    EXPECT_EQ(m.CheckIntegrity(ShortTermKey("Secret")), IntegrityResult::kMismatch) << variant;

    // Any flipped bit in the covered part breaks integrity. Flipping a byte
    // would also break FINGERPRINT, so rebuild without it.
    std::vector<uint8_t> no_fp(bytes.begin(), bytes.end() - 8);
    no_fp[3] -= 8;  // length without FINGERPRINT
    ASSERT_EQ(MustParse(no_fp).CheckIntegrity(key), IntegrityResult::kOk) << variant;
    no_fp[kHeaderSize + 4] ^= 0x01;  // inside USERNAME
    EXPECT_EQ(MustParse(no_fp).CheckIntegrity(key), IntegrityResult::kMismatch) << variant;
  }
  auto plain = StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, kTid).bytes();
  EXPECT_EQ(MustParse(plain).CheckIntegrity(key), IntegrityResult::kAbsent);
}

TEST(StunMessage, Sha256IsPreferredWhenBothArePresent) {
  const std::vector<uint8_t> key = ShortTermKey("k");
  const std::vector<uint8_t> other = ShortTermKey("other");
  // SHA-1 under one key, SHA-256 under another: SHA-256 decides.
  auto bytes = StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, kTid)
                   .AddMessageIntegrity(other)
                   .AddMessageIntegritySha256(key)
                   .bytes();
  EXPECT_EQ(MustParse(bytes).CheckIntegrity(key), IntegrityResult::kOk);
  EXPECT_EQ(MustParse(bytes).CheckIntegrity(other), IntegrityResult::kMismatch);
}

TEST(StunMessage, LongTermKeyVerifies) {
  const std::vector<uint8_t> key = LongTermKey("user", "realm", "pass");
  EXPECT_EQ(key.size(), 16u);
  auto bytes = StunMessageBuilder(StunMethod::kAllocate, StunClass::kRequest, kTid)
                   .AddString(attr::kUsername, "user")
                   .AddString(attr::kRealm, "realm")
                   .AddString(attr::kNonce, "n")
                   .AddRequestedTransport(17)
                   .AddMessageIntegrity(key)
                   .bytes();
  EXPECT_EQ(MustParse(bytes).CheckIntegrity(key), IntegrityResult::kOk);
  EXPECT_EQ(MustParse(bytes).CheckIntegrity(LongTermKey("user", "realm", "Pass")),
            IntegrityResult::kMismatch);
}

TEST(StunMessage, HeaderErrors) {
  auto good = StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, kTid)
                  .AddString(attr::kSoftware, "x")
                  .bytes();
  ASSERT_TRUE(StunMessageView::Parse(good).ok());

  auto st = StunMessageView::Parse(absl::MakeConstSpan(good).first(19)).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(st.message(), HasSubstr("19 bytes"));

  st = StunMessageView::Parse({}).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kOutOfRange);

  st = StunMessageView::Parse(absl::MakeConstSpan(good).first(good.size() - 4)).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(st.message(), HasSubstr("message length 8 runs past the end"));

  auto trailing = good;
  trailing.push_back(0);
  st = StunMessageView::Parse(trailing).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("1 trailing bytes"));

  auto bad = good;
  bad[0] |= 0x80;
  st = StunMessageView::Parse(bad).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("top two bits"));

  bad = good;
  bad[5] = 0;
  st = StunMessageView::Parse(bad).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("magic cookie 0x2100A442"));

  bad = good;
  bad[3] = 6;
  bad.resize(26);
  st = StunMessageView::Parse(bad).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("not a multiple of 4"));
}

TEST(StunMessage, AttributeRunningPastEndIsOutOfRangeWithOffset) {
  // A 12-byte XOR-MAPPED-ADDRESS declared where only 8 bytes remain.
  std::vector<uint8_t> bytes =
      StunMessageBuilder(StunMethod::kBinding, StunClass::kSuccessResponse, kTid)
          .AddXorAddress(attr::kXorMappedAddress, Addr("1.2.3.4:5"))
          .bytes();
  bytes[kHeaderSize + 3] = 12;
  auto st = StunMessageView::Parse(bytes).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(st.message(),
            "STUN attribute 0x0020 (XOR-MAPPED-ADDRESS) at offset 20: length 12 runs past end of "
            "message (8 bytes left)");
}

TEST(StunMessage, GarbageIsRejectedWithAMessage) {
  for (absl::string_view text : {"GET / HTTP/1.1\r\n\r\n", "\x16\x03\x01\x00\x10 tls-ish......", "",
                                 "\x00\x01\x00\x00\x21\x12\xa4\x42"}) {
    auto st = StunMessageView::Parse(
                  absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()))
                  .status();
    EXPECT_FALSE(st.ok());
    EXPECT_FALSE(st.message().empty());
  }
}

TEST(StunMessage, NothingMayFollowFingerprint) {
  auto bytes = StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, kTid)
                   .AddFingerprint()
                   .AddString(attr::kSoftware, "late")
                   .bytes();
  auto st = StunMessageView::Parse(bytes).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("0x8022 (SOFTWARE) at offset 28: follows FINGERPRINT"));
}

TEST(StunMessage, OnlyIntegrityAndFingerprintMayFollowIntegrity) {
  const std::vector<uint8_t> key = ShortTermKey("k");
  auto after_mi = StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, kTid)
                      .AddMessageIntegrity(key)
                      .AddString(attr::kUsername, "forged")
                      .bytes();
  auto st = StunMessageView::Parse(after_mi).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("USERNAME) at offset 44: follows MESSAGE-INTEGRITY"));

  auto mi_after_sha256 = StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, kTid)
                             .AddMessageIntegritySha256(key)
                             .AddMessageIntegrity(key)
                             .bytes();
  EXPECT_THAT(StunMessageView::Parse(mi_after_sha256).status().message(),
              HasSubstr("follows MESSAGE-INTEGRITY-SHA256"));

  auto ok = StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, kTid)
                .AddMessageIntegrity(key)
                .AddMessageIntegritySha256(key)
                .AddFingerprint()
                .bytes();
  EXPECT_TRUE(StunMessageView::Parse(ok).ok());
}

TEST(StunMessage, IntegrityAttributeLengthsAreChecked) {
  const uint8_t nineteen[19] = {};
  const uint8_t twelve[12] = {};
  const uint8_t eighteen[18] = {};
  for (auto [type, value] : std::vector<std::pair<uint16_t, absl::Span<const uint8_t>>>{
           {attr::kMessageIntegrity, nineteen},
           {attr::kMessageIntegritySha256, twelve},
           {attr::kMessageIntegritySha256, eighteen},
           {attr::kFingerprint, twelve}}) {
    auto bytes = StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, kTid)
                     .AddBytes(type, value)
                     .bytes();
    auto st = StunMessageView::Parse(bytes).status();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << AttributeName(type);
    EXPECT_THAT(st.message(), HasSubstr(AttributeName(type)));
  }
}

TEST(StunMessage, BadFingerprintIsRejected) {
  auto bytes = StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, kTid)
                   .AddString(attr::kSoftware, "abc")
                   .AddFingerprint()
                   .bytes();
  ASSERT_TRUE(StunMessageView::Parse(bytes).ok());
  auto flipped = bytes;
  flipped[kHeaderSize + 4] ^= 1;  // in SOFTWARE, covered by the CRC
  auto st = StunMessageView::Parse(flipped).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("FINGERPRINT) at offset 28: CRC 0x"));
  flipped = bytes;
  flipped.back() ^= 1;
  EXPECT_FALSE(StunMessageView::Parse(flipped).ok());
}

TEST(StunMessage, FingerprintIsCrc32XorStun) {
  // CRC-32 of the 20-byte header (Length 8) before the attribute, computed
  // independently with Python's zlib.crc32.
  auto bytes =
      StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, kTid).AddFingerprint().bytes();
  ASSERT_EQ(bytes.size(), 28u);
  const uint32_t fp =
      (uint32_t{bytes[24]} << 24) | (bytes[25] << 16) | (bytes[26] << 8) | bytes[27];
  EXPECT_EQ(fp ^ kFingerprintXor, 0x0874AC82u);
}

TEST(StunMessage, UnknownComprehensionRequiredAnd420) {
  auto bytes = StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, kTid)
                   .AddString(0x7F01, "x")
                   .AddString(0xC001, "optional, ignored")
                   .AddUint32(attr::kPriority, 1)
                   .AddString(0x0002, "RESPONSE-ADDRESS is not known here")
                   .AddString(0x7F01, "again")
                   .bytes();
  StunMessageView request = MustParse(bytes);
  EXPECT_THAT(request.UnknownComprehensionRequired(), ElementsAre(0x7F01, 0x0002));

  auto response = MakeErrorResponse(request, error::kUnknownAttribute, "Unknown Attribute")
                      .AddFingerprint()
                      .bytes();
  StunMessageView m = MustParse(response);
  EXPECT_EQ(m.method(), StunMethod::kBinding);
  EXPECT_EQ(m.message_class(), StunClass::kErrorResponse);
  EXPECT_EQ(m.transaction_id(), kTid);
  EXPECT_EQ(m.GetErrorCode()->code, 420);
  EXPECT_EQ(m.GetErrorCode()->reason, "Unknown Attribute");
  EXPECT_THAT(*m.GetUnknownAttributes(), ElementsAre(0x7F01, 0x0002));

  auto bad_request = MakeErrorResponse(request, error::kBadRequest, "Bad Request").bytes();
  EXPECT_FALSE(MustParse(bad_request).Has(attr::kUnknownAttributes));
  EXPECT_EQ(MustParse(bad_request).GetErrorCode()->code, 400);
}

TEST(StunMessage, LooksLikeStun) {
  auto bytes = StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, kTid).bytes();
  EXPECT_TRUE(LooksLikeStun(bytes));
  EXPECT_FALSE(LooksLikeStun(absl::MakeConstSpan(bytes).first(19)));
  auto dtls = bytes;
  dtls[0] = 22;  // RFC 7983: 20..63 is DTLS
  EXPECT_FALSE(LooksLikeStun(dtls));
  auto rtp = bytes;
  rtp[0] = 0x80;
  EXPECT_FALSE(LooksLikeStun(rtp));
  auto no_cookie = bytes;
  no_cookie[7] = 0;
  EXPECT_FALSE(LooksLikeStun(no_cookie));
}

TEST(StunMessage, Names) {
  EXPECT_EQ(AttributeName(attr::kXorMappedAddress), "XOR-MAPPED-ADDRESS");
  EXPECT_EQ(AttributeName(attr::kMessageIntegritySha256), "MESSAGE-INTEGRITY-SHA256");
  EXPECT_EQ(AttributeName(0x1234), "0x1234");
  EXPECT_TRUE(IsKnownAttribute(attr::kOtherAddress));
  EXPECT_FALSE(IsKnownAttribute(0x0002));
  EXPECT_EQ(ToString(StunMethod::kChannelBind), "ChannelBind");
  EXPECT_EQ(ToString(static_cast<StunMethod>(0x123)), "Method(0x123)");
  EXPECT_EQ(ToString(StunClass::kErrorResponse), "ErrorResponse");
  EXPECT_EQ(ToHex(kTid), "0102030405060708090a0b0c");
}

TEST(StunMessage, NewTransactionIdIsDeterministicPerSeed) {
  Random r1(42), r2(42), r3(43);
  const TransactionId a = NewTransactionId(r1);
  EXPECT_EQ(a, NewTransactionId(r2));
  EXPECT_NE(a, NewTransactionId(r3));
  EXPECT_NE(a, NewTransactionId(r1));
}

}  // namespace
}  // namespace rtcsim::stun
