// RFC 8285 header extensions: the examples of §4.2 and §4.3, the stop rules
// of §4.1.2 and §4.2, padding, and the builder's choice of form.
#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stack/rtp/rtp_packet.h"

namespace rtcsim::rtp {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Mode = RtpPacketBuilder::ExtensionMode;

// A 12-byte fixed header with X=1, then `extension` (profile, length and
// body), then a 2-byte payload.
std::vector<uint8_t> PacketWithExtension(const std::vector<uint8_t>& extension) {
  std::vector<uint8_t> p = {0x90, 0x60, 0x00, 0x01, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78};
  p.insert(p.end(), extension.begin(), extension.end());
  p.push_back(0xAB);
  p.push_back(0xCD);
  return p;
}

TEST(Rfc8285, OneByteExampleOfSection4_2) {
  // §4.2: three elements (L=0, L=1, L=3) with two padding bytes between the
  // second and third.
  const std::vector<uint8_t> bytes = PacketWithExtension({
      0xBE,
      0xDE,
      0x00,
      0x03,  // profile, length=3
      0x10,
      0xA1,  // ID 1, L=0: 1 byte
      0x21,
      0xB1,
      0xB2,  // ID 2, L=1: 2 bytes
      0x00,
      0x00,  // padding
      0x33,
      0xC1,
      0xC2,
      0xC3,  // ID 3, L=3: 4 bytes...
      0xC4,
  });
  auto v = RtpPacketView::Parse(bytes);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->extension_form(), ExtensionForm::kOneByte);
  ASSERT_EQ(v->extensions().size(), 3u);
  EXPECT_EQ(v->extensions()[0].id, 1);
  EXPECT_THAT(v->extensions()[0].data, ElementsAre(0xA1));
  EXPECT_EQ(v->extensions()[0].offset, 16u);
  EXPECT_EQ(v->extensions()[1].id, 2);
  EXPECT_THAT(v->extensions()[1].data, ElementsAre(0xB1, 0xB2));
  EXPECT_EQ(v->extensions()[2].id, 3);
  EXPECT_THAT(v->extensions()[2].data, ElementsAre(0xC1, 0xC2, 0xC3, 0xC4));
  EXPECT_EQ(v->extensions()[2].offset, 23u);
  EXPECT_FALSE(v->extensions_stopped_early());
  EXPECT_THAT(v->payload(), ElementsAre(0xAB, 0xCD));
  EXPECT_THAT(v->ToString(), HasSubstr("ext=one-byte{1:1B,2:2B,3:4B}"));
}

TEST(Rfc8285, TwoByteExampleOfSection4_3) {
  // §4.3: L=0, L=1, one padding byte, L=4.
  const std::vector<uint8_t> bytes = PacketWithExtension({
      0x10,
      0x00,
      0x00,
      0x03,  // profile 0x100, appbits 0, length=3
      0x05,
      0x00,  // ID 5, L=0
      0x06,
      0x01,
      0xD1,  // ID 6, L=1
      0x00,  // padding
      0x07,
      0x04,
      0xE1,
      0xE2,  // ID 7, L=4
      0xE3,
      0xE4,
  });
  auto v = RtpPacketView::Parse(bytes);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->extension_form(), ExtensionForm::kTwoByte);
  EXPECT_EQ(v->extension_appbits(), 0);
  ASSERT_EQ(v->extensions().size(), 3u);
  EXPECT_EQ(v->extensions()[0].id, 5);
  EXPECT_TRUE(v->extensions()[0].data.empty());
  EXPECT_EQ(v->extensions()[1].id, 6);
  EXPECT_THAT(v->extensions()[1].data, ElementsAre(0xD1));
  EXPECT_EQ(v->extensions()[2].id, 7);
  EXPECT_THAT(v->extensions()[2].data, ElementsAre(0xE1, 0xE2, 0xE3, 0xE4));
  EXPECT_THAT(v->payload(), ElementsAre(0xAB, 0xCD));
}

TEST(Rfc8285, TwoByteAppbitsAreReported) {
  const std::vector<uint8_t> bytes =
      PacketWithExtension({0x10, 0x0A, 0x00, 0x01, 0x01, 0x01, 0x77, 0x00});
  auto v = RtpPacketView::Parse(bytes);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->extension_form(), ExtensionForm::kTwoByte);
  EXPECT_EQ(v->extension_appbits(), 0xA);
  EXPECT_EQ(v->extension_profile(), 0x100A);
}

TEST(Rfc8285, OneByteId15StopsParsing) {
  // §4.2: "If the ID value 15 is encountered, its length field MUST be
  // ignored, processing of the entire extension MUST terminate".
  const std::vector<uint8_t> bytes = PacketWithExtension({
      0xBE,
      0xDE,
      0x00,
      0x02,  //
      0x10,
      0x11,  // ID 1, 1 byte
      0xFF,  // ID 15: stop (its length of 16 would overrun)
      0x20,
      0x22,  // ID 2: ignored
      0x00,
      0x00,
      0x00,
  });
  auto v = RtpPacketView::Parse(bytes);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->extensions().size(), 1u);
  EXPECT_EQ(v->extensions()[0].id, 1);
  EXPECT_TRUE(v->extensions_stopped_early());
  EXPECT_EQ(v->FindExtension(2), nullptr);
  EXPECT_THAT(v->payload(), ElementsAre(0xAB, 0xCD));
}

TEST(Rfc8285, IdZeroWithLengthStopsParsing) {
  // §4.1.2: an ID-0 element with a length > 0 terminates processing.
  const std::vector<uint8_t> bytes = PacketWithExtension({
      0xBE, 0xDE, 0x00, 0x01,  //
      0x10, 0x11,              // ID 1
      0x03,                    // ID 0, L=3
      0x20,                    // would be ID 2 (its data byte is missing)
  });
  auto v = RtpPacketView::Parse(bytes);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->extensions().size(), 1u);
  EXPECT_TRUE(v->extensions_stopped_early());
}

TEST(Rfc8285, PaddingBytesAnywhereAreSkipped) {
  const std::vector<uint8_t> bytes = PacketWithExtension({
      0xBE, 0xDE, 0x00, 0x02,  //
      0x00, 0x00, 0x10, 0x11,  // padding, padding, ID 1
      0x00, 0x21, 0x22, 0x23,  // padding, ID 2 (2 bytes)
  });
  auto v = RtpPacketView::Parse(bytes);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->extensions().size(), 2u);
  EXPECT_EQ(v->extensions()[1].id, 2);
  EXPECT_THAT(v->extensions()[1].data, ElementsAre(0x22, 0x23));
  EXPECT_FALSE(v->extensions_stopped_early());
}

TEST(Rfc8285, ElementOverrunIsAnErrorWithOffset) {
  // One-byte: ID 1 with L=3 (4 bytes) but only 3 bytes left in the block.
  auto one =
      RtpPacketView::Parse(PacketWithExtension({0xBE, 0xDE, 0x00, 0x01, 0x13, 0x01, 0x02, 0x03}));
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(one.status().message(),
              HasSubstr("element ID 1 (one-byte form) at offset 16: data length 4 runs past the "
                        "end of the extension block at offset 20"));
  // Two-byte: ID 9 with length 5, 2 bytes available.
  auto two =
      RtpPacketView::Parse(PacketWithExtension({0x10, 0x00, 0x00, 0x01, 0x09, 0x05, 0x01, 0x02}));
  ASSERT_FALSE(two.ok());
  EXPECT_THAT(two.status().message(), HasSubstr("element ID 9 (two-byte form) at offset 16"));
  // Two-byte: an ID in the block's last byte has no length byte.
  auto no_len =
      RtpPacketView::Parse(PacketWithExtension({0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x09}));
  ASSERT_FALSE(no_len.ok());
  EXPECT_THAT(no_len.status().message(), HasSubstr("offset 19: ID 9 has no length byte"));
}

TEST(Rfc8285, BuilderPicksOneByteWhenEverythingFits) {
  const std::vector<uint8_t> d1 = {0xA1};
  const std::vector<uint8_t> d16(16, 0x5A);
  RtpPacketBuilder b;
  b.AddExtension(1, d1).AddExtension(14, d16);
  ASSERT_EQ(*b.ChooseExtensionForm(), ExtensionForm::kOneByte);
  auto bytes = b.Build();
  ASSERT_TRUE(bytes.ok());
  // 2 + 17 = 19 bytes of elements, zero-padded to 20 (5 words).
  const std::vector<uint8_t> ext(bytes->begin() + 12, bytes->begin() + 16);
  EXPECT_THAT(ext, ElementsAre(0xBE, 0xDE, 0x00, 0x05));
  EXPECT_EQ((*bytes)[16], 0x10);
  EXPECT_EQ((*bytes)[18], 0xEF);  // ID 14, L=15
  EXPECT_EQ(bytes->back(), 0x00);
  auto v = RtpPacketView::Parse(*bytes);
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->extensions().size(), 2u);
  EXPECT_EQ(v->extensions()[1].data.size(), 16u);
}

TEST(Rfc8285, BuilderFallsBackToTwoByte) {
  const std::vector<uint8_t> one = {1};
  const std::vector<uint8_t> seventeen(17, 2);
  struct Case {
    uint8_t id;
    std::vector<uint8_t> data;
  };
  for (const Case& c : std::vector<Case>{{15, one}, {200, one}, {1, seventeen}, {1, {}}}) {
    RtpPacketBuilder b;
    b.AddExtension(2, one).AddExtension(c.id, c.data);
    ASSERT_EQ(*b.ChooseExtensionForm(), ExtensionForm::kTwoByte) << int{c.id};
    auto bytes = b.Build();
    ASSERT_TRUE(bytes.ok());
    auto v = RtpPacketView::Parse(*bytes);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->extension_profile(), 0x1000);
    ASSERT_EQ(v->extensions().size(), 2u);
    EXPECT_EQ(v->extensions()[1].id, c.id);
    EXPECT_EQ(v->extensions()[1].data.size(), c.data.size());
  }
}

TEST(Rfc8285, BuilderTwoByteExactBytesAndAppbits) {
  const std::vector<uint8_t> d = {0xD1};
  auto bytes = RtpPacketBuilder()
                   .AddExtension(5, {})
                   .AddExtension(6, d)
                   .set_extension_mode(Mode::kTwoByte)
                   .set_extension_appbits(3)
                   .Build();
  ASSERT_TRUE(bytes.ok());
  const std::vector<uint8_t> ext(bytes->begin() + 12, bytes->end());
  EXPECT_THAT(ext, ElementsAre(0x10, 0x03, 0x00, 0x02,  //
                               0x05, 0x00, 0x06, 0x01, 0xD1, 0x00, 0x00, 0x00));
}

TEST(Rfc8285, ForcedTwoByteForSmallElements) {
  const std::vector<uint8_t> d = {7};
  RtpPacketBuilder b;
  b.AddExtension(1, d).set_extension_mode(Mode::kTwoByte);
  auto v_bytes = b.Build();
  ASSERT_TRUE(v_bytes.ok());
  auto v = RtpPacketView::Parse(*v_bytes);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->extension_form(), ExtensionForm::kTwoByte);
  // FromView keeps the form.
  auto again = RtpPacketBuilder::FromView(*v).Build();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *v_bytes);
}

TEST(Rfc8285, NoElementsMeansNoExtension) {
  auto bytes = RtpPacketBuilder().set_extension_mode(Mode::kTwoByte).Build();
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->size(), 12u);
  EXPECT_EQ((*bytes)[0] & 0x10, 0);
}

}  // namespace
}  // namespace rtcsim::rtp
