#include "stack/demux/demux.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace rtcsim::demux {
namespace {

// The RFC 7983 §7 table written as ranges, independently of the code's
// comparisons, and checked against every first-byte value.
struct Range {
  int lo, hi;
  PacketKind kind;
};
constexpr Range kTable[] = {
    {0, 3, PacketKind::kStun},
    {4, 15, PacketKind::kUnknown},
    {16, 19, PacketKind::kZrtp},
    {20, 63, PacketKind::kDtls},
    {64, 79, PacketKind::kTurnChannelData},
    {80, 127, PacketKind::kUnknown},
    {128, 191, PacketKind::kRtp},
    {192, 255, PacketKind::kUnknown},
};

PacketKind Expected(int b) {
  for (const Range& r : kTable) {
    if (b >= r.lo && b <= r.hi) return r.kind;
  }
  return PacketKind::kUnknown;
}

TEST(Demux, EveryFirstByte) {
  for (int b = 0; b < 256; ++b) {
    const uint8_t byte = static_cast<uint8_t>(b);
    EXPECT_EQ(ClassifyFirstByte(byte), Expected(b)) << b;
    // With a second byte that reads as RTP (PT 96), Classify agrees.
    const std::vector<uint8_t> packet = {byte, 96};
    EXPECT_EQ(Classify(packet), Expected(b)) << b;
  }
}

TEST(Demux, Boundaries) {
  struct Case {
    uint8_t b;
    PacketKind kind;
  };
  for (const Case& c : std::vector<Case>{
           {0, PacketKind::kStun},
           {3, PacketKind::kStun},
           {4, PacketKind::kUnknown},
           {15, PacketKind::kUnknown},
           {16, PacketKind::kZrtp},
           {19, PacketKind::kZrtp},
           {20, PacketKind::kDtls},
           {63, PacketKind::kDtls},
           {64, PacketKind::kTurnChannelData},
           {79, PacketKind::kTurnChannelData},
           {80, PacketKind::kUnknown},
           {127, PacketKind::kUnknown},
           {128, PacketKind::kRtp},
           {191, PacketKind::kRtp},
           {192, PacketKind::kUnknown},
           {255, PacketKind::kUnknown},
       }) {
    EXPECT_EQ(ClassifyFirstByte(c.b), c.kind) << int{c.b};
  }
}

TEST(Demux, RtpVersusRtcpOnEverySecondByte) {
  for (int second = 0; second < 256; ++second) {
    const int pt = second & 0x7F;  // marker masked (RFC 5761 §4)
    const PacketKind want = (pt >= 64 && pt <= 95) ? PacketKind::kRtcp : PacketKind::kRtp;
    for (uint8_t first : {uint8_t{0x80}, uint8_t{0x81}, uint8_t{0xBF}}) {
      const std::vector<uint8_t> packet = {first, static_cast<uint8_t>(second), 0, 0};
      EXPECT_EQ(Classify(packet), want) << int{first} << "/" << second;
    }
    EXPECT_EQ(IsRtcpSecondByte(static_cast<uint8_t>(second)), want == PacketKind::kRtcp);
  }
  // The RTCP packet types on the wire: FIR/NACK (192/193), SR..XR (200..207)
  // and the reserved ranges up to 223.
  for (int type : {192, 193, 200, 201, 202, 203, 204, 205, 206, 207, 223}) {
    EXPECT_EQ(Classify(std::vector<uint8_t>{0x80, static_cast<uint8_t>(type)}), PacketKind::kRtcp)
        << type;
  }
  // RTP with the marker bit: PT 96 and 127 (second byte 224, 255), PT 0 and
  // 63 (128, 191) stay RTP.
  for (int second : {128, 191, 224, 255, 0, 63, 96, 127}) {
    EXPECT_EQ(Classify(std::vector<uint8_t>{0x80, static_cast<uint8_t>(second)}), PacketKind::kRtp)
        << second;
  }
  // Boundaries of the masked range, marker clear and set.
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x80, 63}), PacketKind::kRtp);
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x80, 64}), PacketKind::kRtcp);
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x80, 95}), PacketKind::kRtcp);
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x80, 96}), PacketKind::kRtp);
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x80, 191}), PacketKind::kRtp);
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x80, 192}), PacketKind::kRtcp);
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x80, 223}), PacketKind::kRtcp);
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x80, 224}), PacketKind::kRtp);
}

TEST(Demux, ShortPackets) {
  EXPECT_EQ(Classify({}), PacketKind::kUnknown);
  // One byte: the first-byte ranges still apply, except RTP/RTCP, which
  // need a second byte.
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x00}), PacketKind::kStun);
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x16}), PacketKind::kDtls);
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x40}), PacketKind::kTurnChannelData);
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x80}), PacketKind::kUnknown);
}

TEST(Demux, RealPacketPrefixes) {
  // STUN Binding request (RFC 5769 §2.1 header).
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xA4, 0x42}),
            PacketKind::kStun);
  // DTLS 1.2 handshake record (content type 22, version 0xFEFD).
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x16, 0xFE, 0xFD, 0x00, 0x00}), PacketKind::kDtls);
  // DTLS application data (23) and alert (21).
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x17, 0xFE, 0xFD}), PacketKind::kDtls);
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x15, 0xFE, 0xFD}), PacketKind::kDtls);
  // TURN ChannelData on channel 0x4000 and 0x4FFF (RFC 8656 §12).
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x40, 0x00, 0x00, 0x04}), PacketKind::kTurnChannelData);
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x4F, 0xFF, 0x00, 0x04}), PacketKind::kTurnChannelData);
  // RTP Opus (PT 111, marker set) and VP8 (PT 96) with a CSRC and extension.
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x80, 0xEF, 0x12, 0x34}), PacketKind::kRtp);
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x91, 0x60, 0x12, 0x34}), PacketKind::kRtp);
  // RTCP SR with one report block, RR with padding, PSFB PLI (FMT 1).
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x81, 200, 0x00, 0x0C}), PacketKind::kRtcp);
  EXPECT_EQ(Classify(std::vector<uint8_t>{0xA0, 201, 0x00, 0x02}), PacketKind::kRtcp);
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x81, 206, 0x00, 0x02}), PacketKind::kRtcp);
  // ZRTP packets start 0x10 (RFC 6189 §5).
  EXPECT_EQ(Classify(std::vector<uint8_t>{0x10, 0x00, 0x00, 0x01}), PacketKind::kZrtp);
}

TEST(Demux, ToStringNamesEveryKind) {
  EXPECT_EQ(ToString(PacketKind::kUnknown), "unknown");
  EXPECT_EQ(ToString(PacketKind::kStun), "STUN");
  EXPECT_EQ(ToString(PacketKind::kZrtp), "ZRTP");
  EXPECT_EQ(ToString(PacketKind::kDtls), "DTLS");
  EXPECT_EQ(ToString(PacketKind::kTurnChannelData), "TURN ChannelData");
  EXPECT_EQ(ToString(PacketKind::kRtp), "RTP");
  EXPECT_EQ(ToString(PacketKind::kRtcp), "RTCP");
}

// The classification is usable at compile time.
static_assert(ClassifyFirstByte(0x16) == PacketKind::kDtls);
static_assert(IsRtcpSecondByte(200) && !IsRtcpSecondByte(111));

}  // namespace
}  // namespace rtcsim::demux
