#include "simnet/capture/checksum.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace rtcsim::simnet {
namespace {

// Straightforward reference: big-endian 16-bit words, end-around carry.
uint16_t NaiveSum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i < n; i += 2) {
    uint32_t word = uint32_t{p[i]} << 8;
    if (i + 1 < n) word |= p[i + 1];
    sum += word;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(sum);
}

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2.
  const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(OnesComplementSum(data), 0xddf2);
  EXPECT_EQ(InternetChecksum(data), 0x220d);
}

TEST(Checksum, Ipv4HeaderVector) {
  // A well-known IPv4 header (192.168.0.1 -> 192.168.0.199) whose header
  // checksum is b861.
  uint8_t header[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                      0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(InternetChecksum(header), 0xb861);
  header[10] = 0xb8;
  header[11] = 0x61;
  EXPECT_EQ(InternetChecksum(header), 0);  // A filled-in header verifies.
}

TEST(Checksum, EmptyAndOddLengths) {
  EXPECT_EQ(InternetChecksum({}), 0xffff);
  const uint8_t one[] = {0xab};
  EXPECT_EQ(OnesComplementSum(one), 0xab00);  // Padded with a zero byte.
  const uint8_t three[] = {0x12, 0x34, 0x56};
  EXPECT_EQ(OnesComplementSum(three), 0x1234 + 0x5600);
}

TEST(Checksum, MatchesNaiveReferenceAtAllLengthsAndAlignments) {
  std::vector<uint8_t> data(600);
  uint32_t x = 12345;
  for (auto& b : data) {
    x = x * 1103515245 + 12345;
    b = static_cast<uint8_t>(x >> 16);
  }
  // Also all-0xff data, which stresses carries.
  std::vector<uint8_t> ones(600, 0xff);
  for (const auto* buf : {&data, &ones}) {
    for (size_t offset = 0; offset < 8; ++offset) {
      for (size_t n = 0; n + offset <= buf->size(); n += 7) {
        const uint8_t* p = buf->data() + offset;
        ASSERT_EQ(OnesComplementSum(absl::MakeConstSpan(p, n)), NaiveSum(p, n))
            << "offset " << offset << " length " << n;
      }
    }
  }
}

TEST(ChecksumAccumulator, PiecesEqualOneShot) {
  std::vector<uint8_t> data(101);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 37 + 11);
  const uint16_t expected = InternetChecksum(data);
  for (size_t a = 0; a <= data.size(); ++a) {
    for (size_t b = a; b <= data.size(); b += 3) {
      ChecksumAccumulator acc;
      acc.Add(data.data(), a);
      acc.Add(data.data() + a, b - a);
      acc.Add(data.data() + b, data.size() - b);
      ASSERT_EQ(acc.Checksum(), expected) << a << " " << b;
    }
  }
}

TEST(ChecksumAccumulator, AddWordEqualsAddingTwoBytes) {
  const uint8_t bytes[] = {0x01, 0x02, 0x03, 0x04, 0x05};
  ChecksumAccumulator a;
  a.Add(bytes, 1);
  a.AddWord(0x0203);  // At an odd offset.
  a.Add(bytes + 3, 2);
  EXPECT_EQ(a.Checksum(), InternetChecksum(bytes));
  ChecksumAccumulator b;
  b.AddWord(0x0102);
  b.Add(bytes + 2, 3);
  EXPECT_EQ(b.Sum(), OnesComplementSum(bytes));
}

}  // namespace
}  // namespace rtcsim::simnet
