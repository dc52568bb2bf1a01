#include "stack/dtls/dtls_record.h"

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rtcsim::dtls {
namespace {

using ::testing::HasSubstr;

TEST(DtlsRecordTest, Rfc7983FirstByteRange) {
  EXPECT_FALSE(IsDtlsFirstByte(19));
  EXPECT_TRUE(IsDtlsFirstByte(20));
  EXPECT_TRUE(IsDtlsFirstByte(63));
  EXPECT_FALSE(IsDtlsFirstByte(64));   // TURN ChannelData
  EXPECT_FALSE(IsDtlsFirstByte(0));    // STUN
  EXPECT_FALSE(IsDtlsFirstByte(128));  // RTP
  EXPECT_FALSE(LooksLikeDtls({}));
}

TEST(DtlsRecordTest, ParsesSeveralRecordsInOneDatagram) {
  // A ChangeCipherSpec (epoch 0, seq 5) then an encrypted handshake record
  // (epoch 1, seq 0x010203040506) of 3 bytes.
  std::vector<uint8_t> d = {20,   0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 5, 0, 1, 1, 22,
                            0xFE, 0xFD, 0,    1, 1, 2, 3, 4, 5, 6, 0, 3, 9, 8, 7};
  auto records = ParseDtlsRecords(d);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].content_type, 20);
  EXPECT_EQ((*records)[0].version, kDtls12Version);
  EXPECT_EQ((*records)[0].sequence_number, 5u);
  EXPECT_EQ((*records)[0].fragment.size(), 1u);
  EXPECT_EQ((*records)[1].offset, 14u);
  EXPECT_EQ((*records)[1].epoch, 1);
  EXPECT_EQ((*records)[1].sequence_number, 0x010203040506u);
  EXPECT_EQ((*records)[1].size(), 16u);
  EXPECT_EQ((*records)[1].ToString(), "handshake v=fefd epoch=1 seq=1108152157446 len=3");
}

TEST(DtlsRecordTest, ErrorsNameTheRecordAndOffset) {
  EXPECT_EQ(ParseDtlsRecords({}).status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<uint8_t> short_header = {22, 0xFE, 0xFD, 0, 0};
  auto r = ParseDtlsRecords(short_header);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(r.status().message(), "DTLS record 1 at byte 0: truncated header (5 of 13 bytes)");
  std::vector<uint8_t> long_length = {22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 1, 2};
  r = ParseDtlsRecords(long_length);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(r.status().message(), "DTLS record 1 at byte 0: length 9 exceeds the 2 bytes left");
  std::vector<uint8_t> tls = {22, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_THAT(std::string(ParseDtlsRecords(tls).status().message()),
              HasSubstr("version 0x0303 is not DTLS"));
  std::vector<uint8_t> second_bad = {23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0x80};
  EXPECT_THAT(std::string(ParseDtlsRecords(second_bad).status().message()),
              HasSubstr("record 2 at byte 13"));
  std::vector<uint8_t> huge = {23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 1, 0x48, 0x01};
  EXPECT_THAT(std::string(ParseDtlsRecords(huge).status().message()),
              HasSubstr("exceeds 2^14+2048"));
}

TEST(DtlsRecordTest, ParsesHandshakeFragments) {
  // A ClientHello fragment: total length 10, message_seq 0, bytes 4..6.
  std::vector<uint8_t> f = {1, 0, 0, 10, 0, 0, 0, 0, 4, 0, 0, 3, 0xA, 0xB, 0xC};
  auto fragments = ParseHandshakeFragments(f);
  ASSERT_TRUE(fragments.ok()) << fragments.status();
  ASSERT_EQ(fragments->size(), 1u);
  EXPECT_EQ((*fragments)[0].msg_type, 1);
  EXPECT_EQ((*fragments)[0].length, 10u);
  EXPECT_EQ((*fragments)[0].fragment_offset, 4u);
  EXPECT_EQ((*fragments)[0].body.size(), 3u);
  EXPECT_EQ((*fragments)[0].ToString(), "ClientHello len=10 seq=0 frag=4+3");
  f[3] = 5;  // fragment 4..7 beyond a 5-byte message
  EXPECT_THAT(std::string(ParseHandshakeFragments(f).status().message()),
              HasSubstr("beyond the message length 5"));
  f.pop_back();
  EXPECT_EQ(ParseHandshakeFragments(f).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(DtlsRecordTest, CheckRejectsWhatOpenSslWouldChokeOn) {
  // A valid ClientHello-shaped fragment (empty body) passes.
  std::vector<uint8_t> ok = {22, 0xFE, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12,
                             1,  0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_TRUE(CheckDtlsDatagram(ok).ok());
  // Epoch 0 handshake record too short for a handshake header.
  std::vector<uint8_t> short_hs = {22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0};
  EXPECT_EQ(CheckDtlsDatagram(short_hs).message(),
            "DTLS record 1 at byte 0: handshake fragment 1 at byte 0: truncated header (2 of 12 "
            "bytes)");
  // The same bytes encrypted (epoch 1) are OpenSSL's to judge.
  short_hs[4] = 1;
  EXPECT_TRUE(CheckDtlsDatagram(short_hs).ok());
  std::vector<uint8_t> heartbeat = {24, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
  EXPECT_EQ(CheckDtlsDatagram(heartbeat).message(),
            "DTLS record 1 at byte 0: unexpected content type heartbeat");
}

}  // namespace
}  // namespace rtcsim::dtls
