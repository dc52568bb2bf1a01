// ChannelData framing, RFC 8656 §12.4-§12.6.
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "stack/turn/turn_client.h"

namespace rtcsim::turn {
namespace {

TEST(ChannelData, MakePadsToFourAndParsesBack) {
  const std::vector<uint8_t> data = {1, 2, 3, 4, 5};
  std::vector<uint8_t> frame = MakeChannelData(0x4001, data);
  // 4-byte header + 5 bytes + 3 padding (§12.5: padding MAY be sent over UDP).
  ASSERT_EQ(frame.size(), 12u);
  EXPECT_EQ(frame[0], 0x40);
  EXPECT_EQ(frame[1], 0x01);
  EXPECT_EQ(frame[2], 0x00);
  EXPECT_EQ(frame[3], 0x05);  // the length excludes the padding
  EXPECT_EQ(frame[9], 0);
  EXPECT_TRUE(LooksLikeChannelData(frame));
  auto view = ParseChannelData(frame);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->channel, 0x4001);
  EXPECT_EQ(std::vector<uint8_t>(view->data.begin(), view->data.end()), data);
  // Unpadded (as many senders do over UDP) parses too.
  frame.resize(9);
  view = ParseChannelData(frame);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->data.size(), 5u);
}

TEST(ChannelData, EmptyPayloadIsValid) {
  // §12.4: "Note that 0 is a valid length."
  std::vector<uint8_t> frame = MakeChannelData(0x4FFF, {});
  ASSERT_EQ(frame.size(), 4u);
  auto view = ParseChannelData(frame);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->channel, 0x4FFF);
  EXPECT_TRUE(view->data.empty());
}

TEST(ChannelData, RejectsBadInputWithReasons) {
  // Too short for a header.
  const std::vector<uint8_t> short_header = {0x40, 0x00, 0x00};
  EXPECT_FALSE(LooksLikeChannelData(short_header));
  EXPECT_EQ(ParseChannelData(short_header).status().code(), absl::StatusCode::kOutOfRange);
  // §12.6: shorter than the claimed length.
  const std::vector<uint8_t> truncated = {0x40, 0x00, 0x00, 0x08, 1, 2, 3};
  auto status = ParseChannelData(truncated).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(status.message().find("length"), std::string::npos) << status;
  // §12: numbers below 0x4000 are never channels; 0x5000+ are reserved.
  const std::vector<uint8_t> low = {0x3F, 0xFF, 0x00, 0x00};
  const std::vector<uint8_t> reserved = {0x50, 0x00, 0x00, 0x00};
  EXPECT_EQ(ParseChannelData(low).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseChannelData(reserved).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(LooksLikeChannelData(low));
  EXPECT_FALSE(LooksLikeChannelData(reserved));
  // More than three bytes beyond the data is not padding.
  const std::vector<uint8_t> trailing = {0x40, 0x00, 0x00, 0x01, 9, 0, 0, 0, 0};
  EXPECT_EQ(ParseChannelData(trailing).status().code(), absl::StatusCode::kInvalidArgument);
  // STUN's first byte is 0-3 (RFC 7983).
  const std::vector<uint8_t> stun = {0x00, 0x01, 0x00, 0x00};
  EXPECT_FALSE(LooksLikeChannelData(stun));
}

TEST(ChannelData, MaximumLength) {
  std::vector<uint8_t> data(0xFFFF, 0xAB);
  std::vector<uint8_t> frame = MakeChannelData(0x4000, data);
  EXPECT_EQ(frame.size(), 4u + 0x10000u);
  auto view = ParseChannelData(frame);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->data.size(), 0xFFFFu);
}

}  // namespace
}  // namespace rtcsim::turn
