#include "stack/rtp/rtp_packet.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rtcsim::rtp {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

std::vector<uint8_t> MustBuild(const RtpPacketBuilder& b) {
  auto bytes = b.Build();
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : std::vector<uint8_t>{};
}

RtpPacketView MustParse(const std::vector<uint8_t>& bytes) {
  auto v = RtpPacketView::Parse(bytes);
  EXPECT_TRUE(v.ok()) << v.status();
  return *v;
}

TEST(RtpPacket, ParsesHandWrittenPacket) {
  // V=2 P=0 X=0 CC=0, M=1 PT=111, seq 0x1234, ts 0xDEADBEEF, ssrc 0x01020304,
  // then a 3-byte payload.
  const std::vector<uint8_t> bytes = {0x80, 0xEF, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF,
                                      0x01, 0x02, 0x03, 0x04, 0xAA, 0xBB, 0xCC};
  const RtpPacketView v = MustParse(bytes);
  EXPECT_FALSE(v.has_padding());
  EXPECT_TRUE(v.marker());
  EXPECT_EQ(v.payload_type(), 111);
  EXPECT_EQ(v.sequence_number(), SeqNum(0x1234));
  EXPECT_EQ(v.timestamp(), 0xDEADBEEFu);
  EXPECT_EQ(v.ssrc(), 0x01020304u);
  EXPECT_EQ(v.csrc_count(), 0u);
  EXPECT_EQ(v.extension_form(), ExtensionForm::kNone);
  EXPECT_EQ(v.header_size(), 12u);
  EXPECT_THAT(v.payload(), ElementsAre(0xAA, 0xBB, 0xCC));
  // Zero copy: the payload points into the caller's buffer.
  EXPECT_EQ(v.payload().data(), bytes.data() + 12);
  EXPECT_EQ(v.ToString(), "RTP pt=111 seq=4660 ts=3735928559 ssrc=0x01020304 M payload=3B");
}

TEST(RtpPacket, BuilderProducesExactBytes) {
  const uint8_t payload[] = {0xAA, 0xBB, 0xCC};
  const std::vector<uint8_t> bytes = MustBuild(RtpPacketBuilder()
                                                   .set_marker(true)
                                                   .set_payload_type(111)
                                                   .set_sequence_number(SeqNum(0x1234))
                                                   .set_timestamp(0xDEADBEEF)
                                                   .set_ssrc(0x01020304)
                                                   .set_payload(payload));
  EXPECT_THAT(bytes, ElementsAre(0x80, 0xEF, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03,
                                 0x04, 0xAA, 0xBB, 0xCC));
}

TEST(RtpPacket, RoundTripsEveryField) {
  std::vector<uint8_t> payload(160);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i);
  const uint8_t ext1[] = {0x55};
  const uint8_t ext2[] = {1, 2, 3, 4, 5};
  RtpPacketBuilder b;
  b.set_payload_type(96)
      .set_sequence_number(SeqNum(65535))
      .set_timestamp(123456)
      .set_ssrc(0xCAFEBABE)
      .add_csrc(0x11111111)
      .add_csrc(0x22222222)
      .AddExtension(1, ext1)
      .AddExtension(3, ext2)
      .set_payload(payload)
      .set_padding_size(7);
  const std::vector<uint8_t> bytes = MustBuild(b);
  const RtpPacketView v = MustParse(bytes);
  EXPECT_TRUE(v.has_padding());
  EXPECT_FALSE(v.marker());
  EXPECT_EQ(v.payload_type(), 96);
  EXPECT_EQ(v.sequence_number(), SeqNum(65535));
  EXPECT_EQ(v.timestamp(), 123456u);
  EXPECT_EQ(v.ssrc(), 0xCAFEBABEu);
  EXPECT_THAT(v.csrcs(), ElementsAre(0x11111111u, 0x22222222u));
  EXPECT_EQ(v.extension_form(), ExtensionForm::kOneByte);
  EXPECT_EQ(v.extension_profile(), 0xBEDE);
  ASSERT_EQ(v.extensions().size(), 2u);
  EXPECT_EQ(v.extensions()[0].id, 1);
  EXPECT_THAT(v.extensions()[0].data, ElementsAre(0x55));
  EXPECT_EQ(v.extensions()[1].id, 3);
  EXPECT_THAT(v.extensions()[1].data, ElementsAreArray(ext2));
  EXPECT_EQ(v.FindExtension(3), &v.extensions()[1]);
  EXPECT_EQ(v.FindExtension(2), nullptr);
  // 12 fixed + 8 CSRC + 4 extension header + 8 body (2 + 6 bytes, padded).
  EXPECT_EQ(v.header_size(), 32u);
  EXPECT_THAT(v.payload(), ElementsAreArray(payload));
  EXPECT_EQ(v.padding_size(), 7u);
  EXPECT_EQ(bytes.size(), 32u + 160u + 7u);
  EXPECT_EQ(bytes.back(), 7);

  // FromView re-serialises to the same bytes.
  EXPECT_EQ(MustBuild(RtpPacketBuilder::FromView(v)), bytes);
}

TEST(RtpPacket, FifteenCsrcs) {
  RtpPacketBuilder b;
  for (uint32_t i = 0; i < 15; ++i) b.add_csrc(i);
  const std::vector<uint8_t> bytes = MustBuild(b);
  const RtpPacketView v = MustParse(bytes);
  EXPECT_EQ(v.csrc_count(), 15u);
  EXPECT_EQ(v.csrc(14), 14u);
  EXPECT_EQ(v.csrc(15), 0u);  // out of range: no read past the list
  EXPECT_EQ(v.header_size(), 12u + 60u);
  EXPECT_TRUE(v.payload().empty());
}

TEST(RtpPacket, RejectsWrongVersion) {
  for (uint8_t version : {0, 1, 3}) {
    std::vector<uint8_t> bytes = MustBuild(RtpPacketBuilder());
    bytes[0] = static_cast<uint8_t>((bytes[0] & 0x3F) | (version << 6));
    auto v = RtpPacketView::Parse(bytes);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(v.status().message(), HasSubstr("offset 0: version"));
  }
}

TEST(RtpPacket, TruncationIsOutOfRangeNamingTheField) {
  struct Case {
    std::vector<uint8_t> bytes;
    std::string field;
  };
  const std::vector<Case> cases = {
      {{}, "fixed header at offset 0"},
      {{0x80, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "fixed header at offset 0"},
      // CC=2 but one CSRC.
      {{0x82, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, "CSRC list (CC=2) at offset 12"},
      // X=1, no room for the extension header.
      {{0x90, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xBE, 0xDE},
       "header extension header at offset 12"},
      // X=1, length 2 words but only one present.
      {{0x90, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xBE, 0xDE, 0x00, 0x02, 0x10, 0xAA, 0, 0},
       "header extension (profile 0xBEDE, length 2 words) at offset 14"},
      // P=1 with nothing after the header.
      {{0xA0, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "P bit is set but no octet follows"},
  };
  for (const Case& c : cases) {
    auto v = RtpPacketView::Parse(c.bytes);
    ASSERT_FALSE(v.ok()) << c.field;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kOutOfRange) << v.status();
    EXPECT_THAT(v.status().message(), HasSubstr(c.field));
  }
}

TEST(RtpPacket, ValidatesPaddingCount) {
  // Header + 4 payload bytes, P bit set; the last byte is the count.
  auto with_count = [](uint8_t count) {
    std::vector<uint8_t> b = {0xA0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 9, 9, 9, count};
    return b;
  };
  auto zero = RtpPacketView::Parse(with_count(0));
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(zero.status().message(), HasSubstr("padding count at offset 15 is 0"));

  auto too_big = RtpPacketView::Parse(with_count(5));
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(too_big.status().message(), HasSubstr("is 5 but only 4 bytes follow"));

  const std::vector<uint8_t> one = with_count(1);
  const RtpPacketView v1 = MustParse(one);
  EXPECT_EQ(v1.padding_size(), 1u);
  EXPECT_EQ(v1.payload().size(), 3u);
  const std::vector<uint8_t> all = with_count(4);
  const RtpPacketView v4 = MustParse(all);
  EXPECT_EQ(v4.padding_size(), 4u);
  EXPECT_TRUE(v4.payload().empty());
}

TEST(RtpPacket, ParseHeaderLeavesTrailerAlone) {
  // An SRTP packet: the padding bit refers to the encrypted payload, and the
  // last byte belongs to the authentication tag, so it is not a count.
  std::vector<uint8_t> bytes = {0xA0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 9, 9, 9, 0};
  EXPECT_FALSE(RtpPacketView::Parse(bytes).ok());
  auto v = RtpPacketView::ParseHeader(bytes);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->has_padding());
  EXPECT_EQ(v->padding_size(), 0u);
  EXPECT_EQ(v->payload().size(), 4u);
  EXPECT_EQ(v->ssrc(), 3u);
}

TEST(RtpPacket, OtherProfileExtensionIsKeptRaw) {
  const uint8_t raw[] = {1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<uint8_t> bytes = MustBuild(RtpPacketBuilder().SetRawExtension(0xABCD, raw));
  const RtpPacketView v = MustParse(bytes);
  EXPECT_EQ(v.extension_form(), ExtensionForm::kOther);
  EXPECT_EQ(v.extension_profile(), 0xABCD);
  EXPECT_THAT(v.extension_data(), ElementsAreArray(raw));
  EXPECT_TRUE(v.extensions().empty());
  EXPECT_EQ(MustBuild(RtpPacketBuilder::FromView(v)), bytes);
  EXPECT_THAT(v.ToString(), HasSubstr("ext=profile 0xABCD{8B}"));
}

TEST(RtpPacket, EmptyExtensionBlockParses) {
  // X=1, profile 0xBEDE, length 0: legal, no elements.
  const std::vector<uint8_t> bytes = {0x90, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xBE, 0xDE, 0, 0};
  const RtpPacketView v = MustParse(bytes);
  EXPECT_EQ(v.extension_form(), ExtensionForm::kOneByte);
  EXPECT_TRUE(v.extensions().empty());
  EXPECT_EQ(v.header_size(), 16u);
}

TEST(RtpPacketBuilder, RejectsUnencodableValues) {
  const uint8_t one[] = {1};
  const std::vector<uint8_t> big(256, 7);
  struct Case {
    RtpPacketBuilder builder;
    std::string error;
  };
  RtpPacketBuilder many_csrcs;
  for (int i = 0; i < 16; ++i) many_csrcs.add_csrc(i);
  const uint8_t odd[] = {1, 2, 3};
  std::vector<Case> cases = {
      {RtpPacketBuilder().set_payload_type(128), "payload type 128"},
      {many_csrcs, "16 CSRCs"},
      {RtpPacketBuilder().set_padding_size(256), "padding of 256"},
      {RtpPacketBuilder().AddExtension(0, one), "ID 0"},
      {RtpPacketBuilder().AddExtension(1, big), "256 bytes of data"},
      {RtpPacketBuilder().AddExtension(15, one).set_extension_mode(
           RtpPacketBuilder::ExtensionMode::kOneByte),
       "does not fit the one-byte form"},
      {RtpPacketBuilder().AddExtension(1, {}).set_extension_mode(
           RtpPacketBuilder::ExtensionMode::kOneByte),
       "does not fit the one-byte form"},
      {RtpPacketBuilder().AddExtension(1, one).SetRawExtension(0x1234, {}), "cannot be combined"},
      {RtpPacketBuilder().SetRawExtension(0x1234, odd), "not a whole number"},
      {RtpPacketBuilder().AddExtension(20, one).set_extension_appbits(16), "appbits 16"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> out = {0x42};
    absl::Status s = c.builder.SerializeTo(out);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.error;
    EXPECT_THAT(s.message(), HasSubstr(c.error));
    EXPECT_THAT(out, ElementsAre(0x42)) << "output must be unchanged on error";
  }
}

TEST(RtpPacketBuilder, SerializeToAppends) {
  std::vector<uint8_t> out = {0xFF};
  ASSERT_TRUE(RtpPacketBuilder().set_ssrc(5).SerializeTo(out).ok());
  ASSERT_EQ(out.size(), 13u);
  auto v = RtpPacketView::Parse(absl::MakeConstSpan(out).subspan(1));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->ssrc(), 5u);
}

TEST(RtpPacket, EveryPrefixOfAPacketFailsCleanly) {
  const uint8_t ext[] = {1, 2, 3};
  const uint8_t payload[] = {9, 8, 7, 6, 5};
  const std::vector<uint8_t> bytes = MustBuild(RtpPacketBuilder()
                                                   .add_csrc(1)
                                                   .AddExtension(2, ext)
                                                   .AddExtension(200, ext)
                                                   .set_payload(payload)
                                                   .set_padding_size(3));
  ASSERT_TRUE(RtpPacketView::Parse(bytes).ok());
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto v = RtpPacketView::Parse(absl::MakeConstSpan(bytes.data(), n));
    if (v.ok()) {
      // Only possible where the cut leaves a valid padding count.
      EXPECT_TRUE(v->has_padding());
      continue;
    }
    EXPECT_FALSE(v.status().message().empty());
  }
}

}  // namespace
}  // namespace rtcsim::rtp
