#include "stack/rtp/rtcp_packet.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rtcsim::rtp {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ReportBlock Block(uint32_t ssrc, int32_t cumulative_lost) {
  ReportBlock b;
  b.ssrc = ssrc;
  b.fraction_lost = 64;  // 25 %
  b.cumulative_lost = cumulative_lost;
  b.extended_highest_seq = 0x00020005;
  b.jitter = 1234;
  b.last_sr = 0x11223344;
  b.delay_since_last_sr = 65536 / 2;  // half a second
  return b;
}

RtcpCompoundView MustParse(const std::vector<uint8_t>& bytes) {
  auto c = RtcpCompoundView::Parse(bytes);
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

TEST(Rtcp, SenderReportExactBytes) {
  SenderReport sr;
  sr.sender_ssrc = 0x01020304;
  sr.sender_info = {0x0A0B0C0D0E0F1011, 0x12131415, 7, 1400};
  sr.report_blocks.push_back(Block(0xAABBCCDD, -1));
  std::vector<uint8_t> out;
  ASSERT_TRUE(sr.SerializeTo(out).ok());
  const std::vector<uint8_t> expected = {
      0x81, 200,  0x00, 0x0C,                          // V=2 RC=1, SR, 12 words follow
      0x01, 0x02, 0x03, 0x04,                          // sender SSRC
      0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11,  // NTP
      0x12, 0x13, 0x14, 0x15,                          // RTP timestamp
      0x00, 0x00, 0x00, 0x07,                          // packets
      0x00, 0x00, 0x05, 0x78,                          // octets
      0xAA, 0xBB, 0xCC, 0xDD,                          // report block SSRC
      0x40, 0xFF, 0xFF, 0xFF,                          // fraction 64, cumulative -1
      0x00, 0x02, 0x00, 0x05,                          // extended highest seq
      0x00, 0x00, 0x04, 0xD2,                          // jitter
      0x11, 0x22, 0x33, 0x44,                          // LSR
      0x00, 0x00, 0x80, 0x00,                          // DLSR
  };
  EXPECT_EQ(out, expected);

  const RtcpCompoundView c = MustParse(out);
  ASSERT_EQ(c.packets().size(), 1u);
  EXPECT_EQ(c.packets()[0].type(), rtcp_type::kSr);
  EXPECT_EQ(c.packets()[0].count(), 1);
  auto parsed = SenderReport::Parse(c.packets()[0]);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, sr);
  EXPECT_EQ(parsed->report_blocks[0].cumulative_lost, -1);
  EXPECT_THAT(parsed->ToString(), HasSubstr("SR ssrc=0x01020304"));
  EXPECT_THAT(parsed->ToString(), HasSubstr("cum=-1"));
}

TEST(Rtcp, ReceiverReportRoundTrip) {
  ReceiverReport rr;
  rr.sender_ssrc = 42;
  for (uint32_t i = 0; i < 31; ++i) rr.report_blocks.push_back(Block(i, static_cast<int32_t>(i)));
  rr.profile_extension = {1, 2, 3, 4};
  std::vector<uint8_t> out;
  ASSERT_TRUE(rr.SerializeTo(out).ok());
  EXPECT_EQ(out.size(), 4u + 4u + 31u * 24u + 4u);
  const RtcpCompoundView c = MustParse(out);
  auto parsed = ReceiverReport::Parse(c.packets()[0]);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, rr);

  ReceiverReport empty;
  empty.sender_ssrc = 7;
  out.clear();
  ASSERT_TRUE(empty.SerializeTo(out).ok());
  EXPECT_THAT(out, ElementsAre(0x80, 201, 0x00, 0x01, 0, 0, 0, 7));
  auto e = ReceiverReport::Parse(MustParse(out).packets()[0]);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, empty);
}

TEST(Rtcp, CumulativeLostIsSigned24BitsAndClamped) {
  struct Case {
    int32_t in;
    uint32_t wire;
    int32_t back;
  };
  for (const Case& c : std::vector<Case>{
           {0, 0x000000, 0},
           {1, 0x000001, 1},
           {-1, 0xFFFFFF, -1},
           {0x7FFFFF, 0x7FFFFF, 0x7FFFFF},
           {-0x800000, 0x800000, -0x800000},
           {10000000, 0x7FFFFF, 0x7FFFFF},    // clamped (RFC 3550 A.3)
           {-10000000, 0x800000, -0x800000},  // clamped
       }) {
    std::vector<uint8_t> out;
    Block(1, c.in).SerializeTo(out);
    ASSERT_EQ(out.size(), kReportBlockSize);
    EXPECT_EQ((uint32_t{out[5]} << 16) | (uint32_t{out[6]} << 8) | out[7], c.wire) << c.in;
    EXPECT_EQ(ReportBlock::Parse(out).cumulative_lost, c.back) << c.in;
  }
}

TEST(Rtcp, SdesRoundTripAndPadding) {
  // CNAME lengths chosen so the item list plus the null octet lands on each
  // alignment: the null octet(s) always exist and pad to 32 bits (§6.5).
  for (size_t len = 0; len <= 9; ++len) {
    Sdes sdes;
    sdes.chunks.push_back({0x11223344, {{sdes_item::kCname, std::string(len, 'c')}}});
    std::vector<uint8_t> out;
    ASSERT_TRUE(sdes.SerializeTo(out).ok());
    EXPECT_EQ(out.size() % 4, 0u);
    EXPECT_EQ(out.size(), 4 + 4 + ((2 + len + 1 + 3) & ~size_t{3})) << len;
    EXPECT_EQ(out.back(), 0);
    auto parsed = Sdes::Parse(MustParse(out).packets()[0]);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, sdes);
    ASSERT_NE(parsed->chunks[0].cname(), nullptr);
    EXPECT_EQ(*parsed->chunks[0].cname(), std::string(len, 'c'));
  }
}

TEST(Rtcp, SdesExactBytesAndSeveralChunks) {
  Sdes sdes;
  sdes.chunks.push_back({1, {{sdes_item::kCname, "ab"}}});
  sdes.chunks.push_back({2, {{sdes_item::kName, "x"}, {sdes_item::kCname, "yz"}}});
  sdes.chunks.push_back({3, {}});
  std::vector<uint8_t> out;
  ASSERT_TRUE(sdes.SerializeTo(out).ok());
  const std::vector<uint8_t> expected = {
      0x83, 202, 0x00, 0x08,                                  // SC=3, 8 words follow
      0,    0,   0,    1,    1, 2, 'a', 'b', 0, 0,   0,   0,  // chunk 1: CNAME "ab", null + pad
      0,    0,   0,    2,    2, 1, 'x', 1,   2, 'y', 'z', 0,  // chunk 2: NAME "x", CNAME "yz", null
      0,    0,   0,    3,    0, 0, 0,   0,                    // chunk 3: no items
  };
  EXPECT_EQ(out, expected);
  auto parsed = Sdes::Parse(MustParse(out).packets()[0]);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, sdes);
  EXPECT_EQ(parsed->chunks[2].cname(), nullptr);
  EXPECT_EQ(parsed->ToString(),
            "SDES {ssrc=0x00000001 cname=\"ab\"} {ssrc=0x00000002 2=\"x\" cname=\"yz\"} "
            "{ssrc=0x00000003}");
}

TEST(Rtcp, SdesMalformed) {
  struct Case {
    std::vector<uint8_t> bytes;
    std::string error;
  };
  const std::vector<Case> cases = {
      // SC=1, CNAME of 2 bytes fills the chunk exactly: no null terminator.
      {{0x81, 202, 0x00, 0x02, 0, 0, 0, 1, 1, 2, 'a', 'b'}, "not terminated by a null octet"},
      // Item length runs past the end.
      {{0x81, 202, 0x00, 0x02, 0, 0, 0, 1, 1, 9, 'a', 'b'}, "item type 1 at offset 8"},
      // SC=2 with only one chunk.
      {{0x82, 202, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0}, "chunk 1 at offset 12"},
      // SC=0 but a chunk present.
      {{0x80, 202, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0}, "8 bytes after the last of 0 chunks"},
  };
  for (const Case& c : cases) {
    auto compound = RtcpCompoundView::Parse(c.bytes);
    ASSERT_TRUE(compound.ok()) << compound.status();
    auto s = Sdes::Parse(compound->packets()[0]);
    ASSERT_FALSE(s.ok()) << c.error;
    EXPECT_THAT(s.status().message(), HasSubstr(c.error));
  }
}

TEST(Rtcp, ByeWithAndWithoutReason) {
  Bye bye;
  bye.ssrcs = {0x01020304, 0x05060708};
  std::vector<uint8_t> out;
  ASSERT_TRUE(bye.SerializeTo(out).ok());
  EXPECT_THAT(out, ElementsAre(0x82, 203, 0x00, 0x02, 1, 2, 3, 4, 5, 6, 7, 8));
  auto parsed = Bye::Parse(MustParse(out).packets()[0]);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, bye);

  for (size_t len = 1; len <= 8; ++len) {
    Bye b;
    b.ssrcs = {9};
    b.reason = std::string(len, 'r');
    out.clear();
    ASSERT_TRUE(b.SerializeTo(out).ok());
    EXPECT_EQ(out.size(), 8 + ((1 + len + 3) & ~size_t{3})) << len;
    auto p = Bye::Parse(MustParse(out).packets()[0]);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(*p, b);
  }
}

TEST(Rtcp, ByeMalformed) {
  // SC=2, one SSRC.
  auto short_ssrcs = Bye::Parse(MustParse({0x82, 203, 0x00, 0x01, 0, 0, 0, 1}).packets()[0]);
  ASSERT_FALSE(short_ssrcs.ok());
  EXPECT_EQ(short_ssrcs.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(short_ssrcs.status().message(), HasSubstr("SC=2 needs 8 bytes"));
  // Reason length 7, 3 bytes follow.
  auto long_reason =
      Bye::Parse(MustParse({0x81, 203, 0x00, 0x02, 0, 0, 0, 1, 7, 'a', 'b', 'c'}).packets()[0]);
  ASSERT_FALSE(long_reason.ok());
  EXPECT_THAT(long_reason.status().message(), HasSubstr("reason at offset 8: length 7"));
  // Reason of 1 then a whole extra word.
  auto trailing = Bye::Parse(
      MustParse({0x81, 203, 0x00, 0x03, 0, 0, 0, 1, 1, 'a', 0, 0, 9, 9, 9, 9}).packets()[0]);
  ASSERT_FALSE(trailing.ok());
  EXPECT_THAT(trailing.status().message(), HasSubstr("4 unexpected bytes"));
}

TEST(Rtcp, CompoundWithUnknownTypesPreserved) {
  RtcpCompoundBuilder builder;
  SenderReport sr;
  sr.sender_ssrc = 1;
  sr.report_blocks.push_back(Block(2, 3));
  ASSERT_TRUE(builder.Add(sr).ok());
  Sdes sdes;
  sdes.chunks.push_back({1, {{sdes_item::kCname, "peer@rtcsim"}}});
  ASSERT_TRUE(builder.Add(sdes).ok());
  // A generic NACK (RFC 4585 §6.2.1, RTPFB FMT=1): kept raw here.
  const uint8_t nack[] = {0, 0, 0, 1, 0, 0, 0, 2, 0x12, 0x34, 0x00, 0x05};
  ASSERT_TRUE(builder.AddRaw(rtcp_type::kRtpfb, 1, nack).ok());
  Bye bye;
  bye.ssrcs = {1};
  bye.reason = "done";
  ASSERT_TRUE(builder.Add(bye).ok());
  const std::vector<uint8_t> bytes = std::move(builder).Finish();

  const RtcpCompoundView c = MustParse(bytes);
  EXPECT_TRUE(c.IsRfc3550Compound());
  ASSERT_EQ(c.packets().size(), 4u);
  EXPECT_EQ(c.packets()[0].type(), rtcp_type::kSr);
  EXPECT_EQ(c.packets()[1].type(), rtcp_type::kSdes);
  EXPECT_EQ(c.packets()[2].type(), rtcp_type::kRtpfb);
  EXPECT_EQ(c.packets()[2].count(), 1);
  EXPECT_THAT(c.packets()[2].payload(),
              ElementsAre(0, 0, 0, 1, 0, 0, 0, 2, 0x12, 0x34, 0x00, 0x05));
  EXPECT_EQ(c.packets()[2].payload().data(), bytes.data() + c.packets()[2].offset() + 4);
  EXPECT_EQ(c.packets()[3].type(), rtcp_type::kBye);
  EXPECT_EQ(*SenderReport::Parse(c.packets()[0]), sr);
  EXPECT_EQ(*Sdes::Parse(c.packets()[1]), sdes);
  EXPECT_EQ(*Bye::Parse(c.packets()[3]), bye);
  EXPECT_THAT(c.ToString(), HasSubstr("RTPFB count=1 len=16 @"));

  // A typed parser refuses another type, naming both.
  auto wrong = ReceiverReport::Parse(c.packets()[0]);
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("offset 0 is SR, not RR"));

  // Copying every packet raw reproduces the compound.
  RtcpCompoundBuilder copy;
  for (const RtcpPacketView& p : c.packets()) copy.AddRaw(p);
  EXPECT_EQ(copy.bytes(), bytes);
}

TEST(Rtcp, CompoundLengthChecks) {
  struct Case {
    std::vector<uint8_t> bytes;
    absl::StatusCode code;
    std::string error;
  };
  const std::vector<uint8_t> rr = {0x80, 201, 0x00, 0x01, 0, 0, 0, 7};
  std::vector<uint8_t> rr_then_3 = rr;
  rr_then_3.insert(rr_then_3.end(), {0x80, 201, 0});
  std::vector<uint8_t> rr_then_v1 = rr;
  rr_then_v1.insert(rr_then_v1.end(), {0x40, 201, 0, 1, 0, 0, 0, 7});
  const std::vector<Case> cases = {
      {{}, absl::StatusCode::kOutOfRange, "empty"},
      {{0x80, 201, 0}, absl::StatusCode::kOutOfRange, "header at offset 0: needs 4 bytes, 3"},
      {rr_then_3, absl::StatusCode::kOutOfRange, "header at offset 8: needs 4 bytes, 3"},
      {rr_then_v1, absl::StatusCode::kInvalidArgument, "offset 8: version 1"},
      {{0x80, 201, 0x00, 0x02, 0, 0, 0, 7},
       absl::StatusCode::kOutOfRange,
       "RR at offset 0: length field 2 means 12 bytes, only 8 remain"},
      // P=1, padding count 0.
      {{0xA0, 201, 0x00, 0x01, 0, 0, 0, 0},
       absl::StatusCode::kInvalidArgument,
       "padding count 0 at offset 7 must be 1..4"},
      // P=1, padding count 5 > 4-byte body.
      {{0xA0, 201, 0x00, 0x01, 0, 0, 0, 5}, absl::StatusCode::kInvalidArgument, "padding count 5"},
  };
  for (const Case& c : cases) {
    auto parsed = RtcpCompoundView::Parse(c.bytes);
    ASSERT_FALSE(parsed.ok()) << c.error;
    EXPECT_EQ(parsed.status().code(), c.code) << parsed.status();
    EXPECT_THAT(parsed.status().message(), HasSubstr(c.error));
  }
}

TEST(Rtcp, PaddingIsStrippedFromPayload) {
  // RR with no blocks plus 4 bytes of padding (P=1, count 4).
  const std::vector<uint8_t> bytes = {0xA0, 201, 0x00, 0x02, 0, 0, 0, 7, 0, 0, 0, 4};
  const RtcpCompoundView c = MustParse(bytes);
  ASSERT_EQ(c.packets().size(), 1u);
  EXPECT_TRUE(c.packets()[0].has_padding());
  EXPECT_EQ(c.packets()[0].payload().size(), 4u);
  EXPECT_EQ(c.packets()[0].data().size(), 12u);
  auto rr = ReceiverReport::Parse(c.packets()[0]);
  ASSERT_TRUE(rr.ok()) << rr.status();
  EXPECT_EQ(rr->sender_ssrc, 7u);
  EXPECT_TRUE(rr->profile_extension.empty());
  EXPECT_TRUE(c.IsRfc3550Compound());
}

TEST(Rtcp, Rfc3550CompoundRules) {
  // Starts with SDES: parses (reduced-size RTCP, RFC 5506) but is not an
  // RFC 3550 compound.
  Sdes sdes;
  sdes.chunks.push_back({1, {{sdes_item::kCname, "x"}}});
  RtcpCompoundBuilder b;
  ASSERT_TRUE(b.Add(sdes).ok());
  EXPECT_FALSE(MustParse(b.bytes()).IsRfc3550Compound());
  // Padding on the first of two packets.
  std::vector<uint8_t> bytes = {0xA0, 201, 0x00, 0x02, 0,    0,    0, 7, 0, 0,
                                0,    4,   0x80, 201,  0x00, 0x01, 0, 0, 0, 8};
  const RtcpCompoundView c = MustParse(bytes);
  EXPECT_EQ(c.packets().size(), 2u);
  EXPECT_FALSE(c.IsRfc3550Compound());
}

TEST(Rtcp, ReportBlocksTruncated) {
  // RR with RC=1 but no block.
  auto rr = ReceiverReport::Parse(MustParse({0x81, 201, 0x00, 0x01, 0, 0, 0, 7}).packets()[0]);
  ASSERT_FALSE(rr.ok());
  EXPECT_EQ(rr.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(rr.status().message(), HasSubstr("report blocks at offset 8: RC=1 needs 24 bytes"));
  // SR with no sender info.
  auto sr = SenderReport::Parse(MustParse({0x80, 200, 0x00, 0x01, 0, 0, 0, 7}).packets()[0]);
  ASSERT_FALSE(sr.ok());
  EXPECT_EQ(sr.status().code(), absl::StatusCode::kOutOfRange);
  // Padding that leaves a non-word profile extension.
  auto odd = ReceiverReport::Parse(
      MustParse({0xA0, 201, 0x00, 0x02, 0, 0, 0, 7, 1, 2, 0, 2}).packets()[0]);
  ASSERT_FALSE(odd.ok());
  EXPECT_THAT(odd.status().message(), HasSubstr("profile extension at offset 8: 2 bytes"));
}

TEST(Rtcp, BuilderRejectsUnencodable) {
  std::vector<uint8_t> out = {0x42};
  ReceiverReport rr;
  rr.report_blocks.resize(32);
  EXPECT_THAT(rr.SerializeTo(out).message(), HasSubstr("32 report blocks"));
  SenderReport sr;
  sr.profile_extension = {1, 2, 3};
  EXPECT_THAT(sr.SerializeTo(out).message(), HasSubstr("3 bytes is not a whole number"));
  Bye bye;
  bye.reason = std::string(256, 'x');
  EXPECT_THAT(bye.SerializeTo(out).message(), HasSubstr("256 octets"));
  Sdes sdes;
  sdes.chunks.push_back({1, {{sdes_item::kCname, std::string(256, 'x')}}});
  EXPECT_THAT(sdes.SerializeTo(out).message(), HasSubstr("256 octets"));
  Sdes end_item;
  end_item.chunks.push_back({1, {{sdes_item::kEnd, "x"}}});
  EXPECT_THAT(end_item.SerializeTo(out).message(), HasSubstr("type 0"));
  RtcpCompoundBuilder b;
  const uint8_t three[] = {1, 2, 3};
  EXPECT_THAT(b.AddRaw(205, 32, {}).message(), HasSubstr("count 32"));
  EXPECT_THAT(b.AddRaw(205, 1, three).message(), HasSubstr("3 bytes"));
  EXPECT_THAT(out, ElementsAre(0x42));
  EXPECT_TRUE(b.bytes().empty());
}

TEST(Rtcp, EveryPrefixOfACompoundFailsCleanly) {
  RtcpCompoundBuilder b;
  SenderReport sr;
  sr.report_blocks.push_back(Block(2, 3));
  ASSERT_TRUE(b.Add(sr).ok());
  Bye bye;
  bye.ssrcs = {1};
  bye.reason = "bye";
  ASSERT_TRUE(b.Add(bye).ok());
  const std::vector<uint8_t>& bytes = b.bytes();
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto c = RtcpCompoundView::Parse(absl::MakeConstSpan(bytes.data(), n));
    // Only whole packets can end a compound: the SR alone (52 bytes).
    EXPECT_EQ(c.ok(), n == 52) << n;
    if (!c.ok()) {
      EXPECT_FALSE(c.status().message().empty());
    }
  }
}

}  // namespace
}  // namespace rtcsim::rtp
