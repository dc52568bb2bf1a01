#include "simnet/capture/pcapng_reader.h"

#include <vector>

#include "gtest/gtest.h"
#include "simnet/capture/pcapng_writer.h"

namespace rtcsim::simnet {
namespace {

SocketAddress Addr(absl::string_view text) { return *SocketAddress::Parse(text); }

// Total length of the first block (the section header).
size_t FirstBlockSize(const std::vector<uint8_t>& file) {
  return file[4] | (file[5] << 8) | (file[6] << 16) | (size_t{file[7]} << 24);
}

TEST(PcapngReader, ReadsBackWhatTheWriterWrote) {
  PcapngWriter w;
  const int a = w.AddInterface("host-a");
  const int b = w.AddInterface("");
  const std::vector<uint8_t> p1 = {1, 2, 3};
  const std::vector<uint8_t> p2(1201, 0xAB);
  ASSERT_TRUE(w.WriteUdp(a, Timestamp::Nanos(1'500'000'123), Addr("10.0.0.1:1000"),
                         Addr("192.0.2.7:3478"), 64, 9, p1)
                  .ok());
  ASSERT_TRUE(w.WriteUdp(b, Timestamp::Nanos(2'000'000'000), Addr("[2001:db8::1]:5"),
                         Addr("[2001:db8::2]:6"), 3, 0, p2, "dropped: queue full")
                  .ok());
  ASSERT_TRUE(
      w.WriteUdp(a, Timestamp::Zero(), Addr("10.0.0.1:1"), Addr("10.0.0.2:2"), 1, 0, {}).ok());

  auto read = ReadPcapng(w.bytes());
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 3u);
  const CapturedDatagram& d0 = (*read)[0];
  EXPECT_EQ(d0.interface_id, 0);
  EXPECT_EQ(d0.interface_name, "host-a");
  EXPECT_EQ(d0.time, Timestamp::Nanos(1'500'000'123));
  EXPECT_EQ(d0.src, Addr("10.0.0.1:1000"));
  EXPECT_EQ(d0.dst, Addr("192.0.2.7:3478"));
  EXPECT_EQ(d0.payload, p1);
  EXPECT_EQ(d0.comment, "");
  const CapturedDatagram& d1 = (*read)[1];
  EXPECT_EQ(d1.interface_id, 1);
  EXPECT_EQ(d1.interface_name, "");
  EXPECT_EQ(d1.src, Addr("[2001:db8::1]:5"));
  EXPECT_EQ(d1.dst, Addr("[2001:db8::2]:6"));
  EXPECT_EQ(d1.payload, p2);
  EXPECT_EQ(d1.comment, "dropped: queue full");
  EXPECT_TRUE((*read)[2].payload.empty());
}

TEST(PcapngReader, RejectsDamagedFilesWithTheOffset) {
  PcapngWriter w;
  const int a = w.AddInterface("x");
  ASSERT_TRUE(
      w.WriteUdp(a, Timestamp::Zero(), Addr("10.0.0.1:1"), Addr("10.0.0.2:2"), 1, 0, {7}).ok());
  const std::vector<uint8_t>& good = w.bytes();

  // Every truncation fails cleanly (or, at a block boundary, reads fewer).
  for (size_t n = 1; n < good.size(); ++n) {
    auto r = ReadPcapng(absl::MakeSpan(good.data(), n));
    if (r.ok()) {
      EXPECT_TRUE(r->empty()) << n;
    } else {
      EXPECT_NE(r.status().message().find("offset"), absl::string_view::npos) << r.status();
    }
  }

  std::vector<uint8_t> bad = good;
  bad[bad.size() - 1] ^= 0xFF;  // trailing length of the last block
  auto r = ReadPcapng(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("trailing length"), absl::string_view::npos) << r.status();

  std::vector<uint8_t> no_section(good.begin() + FirstBlockSize(good), good.end());
  EXPECT_FALSE(ReadPcapng(no_section).ok());
}

}  // namespace
}  // namespace rtcsim::simnet
