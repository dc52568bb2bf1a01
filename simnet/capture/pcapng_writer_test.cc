#include "simnet/capture/pcapng_writer.h"

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "stack/env/socket_address.h"
#include "stack/env/time.h"

namespace rtcsim::simnet {
namespace {

// --- An independent pcapng reader and checksum, written for the test. ---

uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
uint32_t Le32(const uint8_t* p) { return Le16(p) | uint32_t{Le16(p + 2)} << 16; }
uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// RFC 1071, the slow obvious way.
uint16_t RefChecksum(const std::vector<uint8_t>& data) {
  uint32_t sum = 0;
  for (size_t i = 0; i < data.size(); i += 2) {
    sum += uint32_t{data[i]} << 8 | (i + 1 < data.size() ? data[i + 1] : 0);
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

struct Option {
  uint16_t code;
  std::string value;
};

struct Block {
  uint32_t type = 0;
  size_t offset = 0;          // In the file.
  std::vector<uint8_t> body;  // Between the leading and trailing length.
};

// Splits a capture into blocks, checking lengths and alignment.
std::vector<Block> ParseBlocks(const std::vector<uint8_t>& file) {
  std::vector<Block> blocks;
  size_t pos = 0;
  while (pos < file.size()) {
    EXPECT_LE(pos + 12, file.size()) << "truncated block at " << pos;
    if (pos + 12 > file.size()) break;
    const uint32_t length = Le32(&file[pos + 4]);
    EXPECT_EQ(length % 4, 0u) << "block at " << pos;
    EXPECT_GE(length, 12u);
    EXPECT_LE(pos + length, file.size()) << "block at " << pos;
    if (length < 12 || pos + length > file.size()) break;
    EXPECT_EQ(Le32(&file[pos + length - 4]), length) << "trailing length of block at " << pos;
    Block b;
    b.type = Le32(&file[pos]);
    b.offset = pos;
    b.body.assign(file.begin() + pos + 8, file.begin() + pos + length - 4);
    blocks.push_back(std::move(b));
    pos += length;
  }
  EXPECT_EQ(pos, file.size());
  return blocks;
}

// Parses options from body[start..], requiring zero padding and a final
// opt_endofopt that ends exactly at the end of the body.
std::vector<Option> ParseOptions(const std::vector<uint8_t>& body, size_t start) {
  std::vector<Option> options;
  size_t pos = start;
  bool ended = false;
  while (pos < body.size()) {
    EXPECT_LE(pos + 4, body.size());
    if (pos + 4 > body.size()) break;
    const uint16_t code = Le16(&body[pos]);
    const uint16_t length = Le16(&body[pos + 2]);
    const size_t padded = (length + 3u) & ~3u;
    EXPECT_LE(pos + 4 + padded, body.size());
    if (pos + 4 + padded > body.size()) break;
    for (size_t i = length; i < padded; ++i) {
      EXPECT_EQ(body[pos + 4 + i], 0) << "option padding";
    }
    if (code == 0) {
      EXPECT_EQ(length, 0);
      EXPECT_EQ(pos + 4, body.size()) << "data after opt_endofopt";
      ended = true;
      break;
    }
    options.push_back({code, std::string(body.begin() + pos + 4, body.begin() + pos + 4 + length)});
    pos += 4 + padded;
  }
  if (!options.empty()) {
    EXPECT_TRUE(ended) << "options without opt_endofopt";
  }
  return options;
}

struct Packet {
  uint32_t interface_id;
  uint64_t timestamp;
  std::vector<uint8_t> data;
  std::vector<Option> options;
};

Packet ParseEpb(const Block& b) {
  EXPECT_EQ(b.type, PcapngWriter::kEnhancedPacketBlock);
  Packet p;
  p.interface_id = Le32(&b.body[0]);
  p.timestamp = uint64_t{Le32(&b.body[4])} << 32 | Le32(&b.body[8]);
  const uint32_t caplen = Le32(&b.body[12]);
  EXPECT_EQ(Le32(&b.body[16]), caplen) << "original length";
  const size_t padded = (caplen + 3u) & ~3u;
  EXPECT_LE(20 + padded, b.body.size());
  p.data.assign(b.body.begin() + 20, b.body.begin() + 20 + caplen);
  for (size_t i = caplen; i < padded; ++i) EXPECT_EQ(b.body[20 + i], 0);
  p.options = ParseOptions(b.body, 20 + padded);
  return p;
}

struct Udp {
  std::vector<uint8_t> src_ip, dst_ip;
  uint16_t src_port, dst_port;
  uint8_t ttl;
  std::vector<uint8_t> payload;
};

// Checks a raw IPv4/IPv6 + UDP packet field by field, recomputing both
// checksums, and returns its contents.
Udp CheckUdpPacket(const std::vector<uint8_t>& pkt, uint16_t expected_ip_id) {
  Udp u;
  EXPECT_GE(pkt.size(), 28u);
  size_t ip_header;
  std::vector<uint8_t> pseudo;
  const int version = pkt[0] >> 4;
  if (version == 4) {
    ip_header = 20;
    EXPECT_EQ(pkt[0], 0x45);
    EXPECT_EQ(pkt[1], 0);
    EXPECT_EQ(Be16(&pkt[2]), pkt.size()) << "total length";
    EXPECT_EQ(Be16(&pkt[4]), expected_ip_id);
    EXPECT_EQ(Be16(&pkt[6]), 0x4000) << "DF, offset 0";
    u.ttl = pkt[8];
    EXPECT_EQ(pkt[9], 17);
    EXPECT_EQ(RefChecksum({pkt.begin(), pkt.begin() + 20}), 0) << "IPv4 header checksum";
    u.src_ip.assign(pkt.begin() + 12, pkt.begin() + 16);
    u.dst_ip.assign(pkt.begin() + 16, pkt.begin() + 20);
    pseudo = u.src_ip;
    pseudo.insert(pseudo.end(), u.dst_ip.begin(), u.dst_ip.end());
    const uint16_t udp_len = static_cast<uint16_t>(pkt.size() - 20);
    pseudo.insert(pseudo.end(),
                  {0, 17, static_cast<uint8_t>(udp_len >> 8), static_cast<uint8_t>(udp_len)});
  } else {
    EXPECT_EQ(version, 6);
    ip_header = 40;
    EXPECT_GE(pkt.size(), 48u);
    EXPECT_EQ(pkt[0], 0x60);
    EXPECT_EQ(pkt[1], 0);
    EXPECT_EQ(pkt[2], 0);
    EXPECT_EQ(pkt[3], 0);
    EXPECT_EQ(Be16(&pkt[4]), pkt.size() - 40) << "payload length";
    EXPECT_EQ(pkt[6], 17);
    u.ttl = pkt[7];
    u.src_ip.assign(pkt.begin() + 8, pkt.begin() + 24);
    u.dst_ip.assign(pkt.begin() + 24, pkt.begin() + 40);
    pseudo = u.src_ip;
    pseudo.insert(pseudo.end(), u.dst_ip.begin(), u.dst_ip.end());
    const uint32_t udp_len = static_cast<uint32_t>(pkt.size() - 40);
    pseudo.insert(pseudo.end(),
                  {static_cast<uint8_t>(udp_len >> 24), static_cast<uint8_t>(udp_len >> 16),
                   static_cast<uint8_t>(udp_len >> 8), static_cast<uint8_t>(udp_len), 0, 0, 0, 17});
  }
  const uint8_t* udp = &pkt[ip_header];
  u.src_port = Be16(udp);
  u.dst_port = Be16(udp + 2);
  EXPECT_EQ(Be16(udp + 4), pkt.size() - ip_header) << "UDP length";
  EXPECT_NE(Be16(udp + 6), 0) << "UDP checksum must be present";
  std::vector<uint8_t> summed = pseudo;
  summed.insert(summed.end(), pkt.begin() + ip_header, pkt.end());
  EXPECT_EQ(RefChecksum(summed), 0) << "UDP checksum";
  u.payload.assign(pkt.begin() + ip_header + 8, pkt.end());
  return u;
}

std::vector<uint8_t> Bytes(const IpAddress& ip) {
  return std::vector<uint8_t>(ip.data(), ip.data() + ip.size());
}

std::vector<uint8_t> Payload(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 13);
  return v;
}

SocketAddress V4(absl::string_view text) { return *SocketAddress::Parse(text); }

// --- Tests. ---

TEST(PcapngWriter, SectionHeaderBytes) {
  PcapngWriter w;
  const std::vector<uint8_t> expected = {
      0x0a, 0x0d, 0x0d, 0x0a,                          // Block type.
      0x2c, 0x00, 0x00, 0x00,                          // Total length 44.
      0x4d, 0x3c, 0x2b, 0x1a,                          // Byte-order magic, little-endian.
      0x01, 0x00, 0x00, 0x00,                          // Version 1.0.
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // Section length -1.
      0x04, 0x00, 0x06, 0x00, 'r',  't',  'c',  's',  'i', 'm', 0, 0,  // shb_userappl.
      0x00, 0x00, 0x00, 0x00,                                          // opt_endofopt.
      0x2c, 0x00, 0x00, 0x00,                                          // Total length.
  };
  EXPECT_EQ(w.bytes(), expected);
  EXPECT_EQ(w.view().size(), expected.size());
}

TEST(PcapngWriter, KnownIpv4PacketBytes) {
  // Expected bytes computed outside this code base (Python struct + RFC 1071).
  PcapngWriter w;
  const int ifc = w.AddInterface("eth0");
  const size_t before = w.bytes().size();
  const uint8_t hi[] = {'h', 'i'};
  ASSERT_TRUE(w.WriteUdp(ifc, Timestamp::Nanos(5), V4("192.168.0.1:1234"), V4("192.168.0.199:5678"),
                         64, 0x1c46, hi)
                  .ok());
  const std::vector<uint8_t> packet = {0x45, 0x00, 0x00, 0x1e, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x11,
                                       0x9c, 0x70, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
                                       0x04, 0xd2, 0x16, 0x2e, 0x00, 0x0a, 0xfa, 0x57, 0x68, 0x69};
  const std::vector<uint8_t> epb(w.bytes().begin() + before, w.bytes().end());
  ASSERT_EQ(epb.size(), 28u + 32u + 4u);
  EXPECT_EQ(Le32(&epb[0]), 6u);
  EXPECT_EQ(Le32(&epb[4]), 64u);
  EXPECT_EQ(Le32(&epb[8]), 0u);
  const uint64_t ts = 1767225600000000005ull;
  EXPECT_EQ(Le32(&epb[12]), ts >> 32);
  EXPECT_EQ(Le32(&epb[16]), ts & 0xffffffff);
  EXPECT_EQ(Le32(&epb[20]), 30u);
  EXPECT_EQ(Le32(&epb[24]), 30u);
  EXPECT_EQ(std::vector<uint8_t>(epb.begin() + 28, epb.begin() + 58), packet);
  EXPECT_EQ(epb[58], 0);
  EXPECT_EQ(epb[59], 0);
  EXPECT_EQ(Le32(&epb[60]), 64u);
}

TEST(PcapngWriter, BlockStructureParsesBack) {
  PcapngWriter w;
  const int a = w.AddInterface("host-a/eth0");
  const int b = w.AddInterface("link ab");
  const int c = w.AddInterface("");
  EXPECT_EQ(a, 0);
  EXPECT_EQ(b, 1);
  EXPECT_EQ(c, 2);
  EXPECT_EQ(w.interface_count(), 3);

  const SocketAddress v4a = V4("10.0.0.1:5000"), v4b = V4("10.0.0.2:6000");
  const SocketAddress v6a = *SocketAddress::Parse("[2001:db8::1]:7000");
  const SocketAddress v6b = *SocketAddress::Parse("[2001:db8::2]:8000");
  struct Sent {
    int ifc;
    int64_t t;
    bool v6;
    size_t size;
    std::string comment;
  };
  std::vector<Sent> sent;
  for (size_t size = 0; size < 12; ++size) {
    sent.push_back({static_cast<int>(size % 3), static_cast<int64_t>(size) * 1000003, size % 2 == 1,
                    size, size % 4 == 0 ? std::string(size / 4 + 1, 'x') : ""});
  }
  sent.push_back({b, 123456789012, false, 1400, "dropped: queue full"});
  sent.push_back({c, 123456789013, true, 1400, ""});
  for (size_t i = 0; i < sent.size(); ++i) {
    const Sent& s = sent[i];
    const auto payload = Payload(s.size, static_cast<uint8_t>(i));
    ASSERT_TRUE(w.WriteUdp(s.ifc, Timestamp::Nanos(s.t), s.v6 ? v6a : v4a, s.v6 ? v6b : v4b,
                           static_cast<uint8_t>(60 + i), static_cast<uint16_t>(1000 + i), payload,
                           s.comment)
                    .ok());
  }
  // An interface added after packets is still valid pcapng.
  const int d = w.AddInterface("late");
  EXPECT_EQ(d, 3);
  ASSERT_TRUE(w.WriteUdp(d, Timestamp::Nanos(0), v4a, v4b, 1, 1, {}).ok());
  EXPECT_EQ(w.packet_count(), static_cast<int64_t>(sent.size() + 1));

  const std::vector<Block> blocks = ParseBlocks(w.bytes());
  ASSERT_EQ(blocks.size(), 1 + 3 + sent.size() + 1 + 1);

  // Section Header Block.
  EXPECT_EQ(blocks[0].type, PcapngWriter::kSectionHeaderBlock);
  EXPECT_EQ(Le32(&blocks[0].body[0]), 0x1A2B3C4Du);
  EXPECT_EQ(Le16(&blocks[0].body[4]), 1);
  EXPECT_EQ(Le16(&blocks[0].body[6]), 0);

  // Interface Description Blocks.
  const std::vector<std::pair<size_t, std::string>> idbs = {
      {1, "host-a/eth0"}, {2, "link ab"}, {3, ""}, {4 + sent.size(), "late"}};
  for (const auto& [index, name] : idbs) {
    const Block& idb = blocks[index];
    EXPECT_EQ(idb.type, PcapngWriter::kInterfaceDescriptionBlock);
    EXPECT_EQ(Le16(&idb.body[0]), 101) << "LINKTYPE_RAW";
    EXPECT_EQ(Le16(&idb.body[2]), 0);
    EXPECT_EQ(Le32(&idb.body[4]), 0u) << "snaplen";
    const std::vector<Option> opts = ParseOptions(idb.body, 8);
    std::string if_name;
    std::string tsresol;
    for (const Option& o : opts) {
      if (o.code == 2) if_name = o.value;
      if (o.code == 9) tsresol = o.value;
    }
    EXPECT_EQ(if_name, name);
    EXPECT_EQ(tsresol, std::string(1, '\x09'));
  }

  // Enhanced Packet Blocks.
  for (size_t i = 0; i < sent.size(); ++i) {
    SCOPED_TRACE(i);
    const Sent& s = sent[i];
    const Packet p = ParseEpb(blocks[4 + i]);
    EXPECT_EQ(p.interface_id, static_cast<uint32_t>(s.ifc));
    EXPECT_EQ(p.timestamp, static_cast<uint64_t>(PcapngWriter::kEpochOffsetNs + s.t));
    EXPECT_EQ(p.data.size(), (s.v6 ? 48u : 28u) + s.size);
    if (s.comment.empty()) {
      EXPECT_TRUE(p.options.empty());
    } else {
      ASSERT_EQ(p.options.size(), 1u);
      EXPECT_EQ(p.options[0].code, 1) << "opt_comment";
      EXPECT_EQ(p.options[0].value, s.comment);
    }
    const Udp u = CheckUdpPacket(p.data, static_cast<uint16_t>(1000 + i));
    EXPECT_EQ(u.ttl, 60 + i);
    EXPECT_EQ(u.src_ip, Bytes((s.v6 ? v6a : v4a).ip()));
    EXPECT_EQ(u.dst_ip, Bytes((s.v6 ? v6b : v4b).ip()));
    EXPECT_EQ(u.src_port, s.v6 ? 7000 : 5000);
    EXPECT_EQ(u.dst_port, s.v6 ? 8000 : 6000);
    EXPECT_EQ(u.payload, Payload(s.size, static_cast<uint8_t>(i)));
  }
  const Packet last = ParseEpb(blocks.back());
  EXPECT_EQ(last.interface_id, 3u);
  EXPECT_EQ(last.timestamp, static_cast<uint64_t>(PcapngWriter::kEpochOffsetNs));
}

// Finds the last two payload bytes that make the UDP checksum compute to 0.
std::vector<uint8_t> PayloadWithZeroChecksum(const SocketAddress& src, const SocketAddress& dst) {
  std::vector<uint8_t> payload = {1, 2, 3, 4, 5, 6, 0, 0};
  const uint16_t udp_len = static_cast<uint16_t>(8 + payload.size());
  std::vector<uint8_t> all(src.ip().data(), src.ip().data() + src.ip().size());
  all.insert(all.end(), dst.ip().data(), dst.ip().data() + dst.ip().size());
  all.insert(all.end(), {0, 17, static_cast<uint8_t>(udp_len >> 8), static_cast<uint8_t>(udp_len)});
  all.insert(all.end(), {static_cast<uint8_t>(src.port() >> 8), static_cast<uint8_t>(src.port()),
                         static_cast<uint8_t>(dst.port() >> 8), static_cast<uint8_t>(dst.port()),
                         static_cast<uint8_t>(udp_len >> 8), static_cast<uint8_t>(udp_len), 0, 0});
  all.insert(all.end(), payload.begin(), payload.end());
  // RefChecksum = ~S; adding the word ~S makes the sum 0xffff, checksum 0.
  const uint16_t fix = RefChecksum(all);
  payload[6] = static_cast<uint8_t>(fix >> 8);
  payload[7] = static_cast<uint8_t>(fix);
  return payload;
}

TEST(PcapngWriter, ZeroUdpChecksumIsSentAsFfff) {
  for (const auto& [src, dst] : {std::pair(V4("10.1.2.3:1111"), V4("10.3.2.1:2222")),
                                 std::pair(*SocketAddress::Parse("[fe80::1]:1111"),
                                           *SocketAddress::Parse("[fe80::2]:2222"))}) {
    SCOPED_TRACE(src.ToString());
    PcapngWriter w;
    const int ifc = w.AddInterface("x");
    const auto payload = PayloadWithZeroChecksum(src, dst);
    ASSERT_TRUE(w.WriteUdp(ifc, Timestamp::Zero(), src, dst, 64, 7, payload).ok());
    const std::vector<Block> blocks = ParseBlocks(w.bytes());
    ASSERT_EQ(blocks.size(), 3u);
    const Packet p = ParseEpb(blocks[2]);
    const size_t udp = src.ip().is_v4() ? 20 : 40;
    EXPECT_EQ(Be16(&p.data[udp + 6]), 0xffff);
    CheckUdpPacket(p.data, 7);
  }
}

TEST(PcapngWriter, MaximumPayloads) {
  PcapngWriter w;
  const int ifc = w.AddInterface("big");
  const SocketAddress v6a = *SocketAddress::Parse("[::1]:1");
  const SocketAddress v6b = *SocketAddress::Parse("[::1]:2");
  const auto p4 = Payload(PcapngWriter::kMaxUdpPayloadV4, 3);
  const auto p6 = Payload(PcapngWriter::kMaxUdpPayloadV6, 4);
  ASSERT_TRUE(w.WriteUdp(ifc, Timestamp::Zero(), V4("1.1.1.1:1"), V4("2.2.2.2:2"), 1, 1, p4).ok());
  ASSERT_TRUE(w.WriteUdp(ifc, Timestamp::Zero(), v6a, v6b, 1, 1, p6).ok());
  const std::vector<Block> blocks = ParseBlocks(w.bytes());
  ASSERT_EQ(blocks.size(), 4u);
  const Packet a = ParseEpb(blocks[2]);
  EXPECT_EQ(a.data.size(), 65535u);
  EXPECT_EQ(CheckUdpPacket(a.data, 1).payload, p4);
  const Packet b = ParseEpb(blocks[3]);
  EXPECT_EQ(b.data.size(), 65575u);
  EXPECT_EQ(CheckUdpPacket(b.data, 1).payload, p6);
}

TEST(PcapngWriter, ErrorsWriteNothing) {
  PcapngWriter w;
  const int ifc = w.AddInterface("x");
  const std::vector<uint8_t> before = w.bytes();
  const SocketAddress v4 = V4("10.0.0.1:1");
  const SocketAddress v6 = *SocketAddress::Parse("[::1]:1");
  const uint8_t one[] = {1};

  auto s = w.WriteUdp(ifc, Timestamp::Zero(), v4, v6, 64, 0, one);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = w.WriteUdp(ifc, Timestamp::Zero(), v6, v4, 64, 0, one);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = w.WriteUdp(ifc, Timestamp::Zero(), SocketAddress(), SocketAddress(), 64, 0, one);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = w.WriteUdp(1, Timestamp::Zero(), v4, v4, 64, 0, one);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = w.WriteUdp(-1, Timestamp::Zero(), v4, v4, 64, 0, one);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = w.WriteUdp(ifc, Timestamp::Zero(), v4, v4, 64, 0, one, std::string(65536, 'c'));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  const auto too_big4 = Payload(PcapngWriter::kMaxUdpPayloadV4 + 1, 0);
  s = w.WriteUdp(ifc, Timestamp::Zero(), v4, v4, 64, 0, too_big4);
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange) << s;
  const auto too_big6 = Payload(PcapngWriter::kMaxUdpPayloadV6 + 1, 0);
  s = w.WriteUdp(ifc, Timestamp::Zero(), v6, v6, 64, 0, too_big6);
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange) << s;
  s = w.WriteUdp(ifc, Timestamp::Infinite(), v4, v4, 64, 0, one);
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange) << s;
  s = w.WriteUdp(ifc, Timestamp::Nanos(-PcapngWriter::kEpochOffsetNs - 1), v4, v4, 64, 0, one);
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange) << s;

  EXPECT_EQ(w.bytes(), before);
  EXPECT_EQ(w.packet_count(), 0);
  // The edges of the valid range are accepted.
  EXPECT_TRUE(
      w.WriteUdp(ifc, Timestamp::Nanos(-PcapngWriter::kEpochOffsetNs), v4, v4, 64, 0, one).ok());
  EXPECT_TRUE(w.WriteUdp(ifc,
                         Timestamp::Nanos(std::numeric_limits<int64_t>::max() -
                                          PcapngWriter::kEpochOffsetNs),
                         v4, v4, 64, 0, one, std::string(65535, 'c'))
                  .ok());
  EXPECT_EQ(ParseBlocks(w.bytes()).size(), 4u);
}

void WriteSomeTraffic(PcapngWriter& w) {
  const int a = w.AddInterface("a");
  const int b = w.AddInterface("b");
  const SocketAddress v6a = *SocketAddress::Parse("[2001:db8::a]:3000");
  const SocketAddress v6b = *SocketAddress::Parse("[2001:db8::b]:3001");
  for (int i = 0; i < 200; ++i) {
    const auto payload = Payload(static_cast<size_t>(i * 7 % 1500), static_cast<uint8_t>(i));
    const bool v6 = i % 3 == 0;
    ASSERT_TRUE(w.WriteUdp(i % 2 == 0 ? a : b, Timestamp::Nanos(i * 20000001LL),
                           v6 ? v6a : V4("192.0.2.1:3000"), v6 ? v6b : V4("198.51.100.7:3001"), 64,
                           static_cast<uint16_t>(i), payload, i % 10 == 0 ? "mark" : "")
                    .ok());
  }
}

TEST(PcapngWriter, Deterministic) {
  PcapngWriter w1;
  PcapngWriter w2;
  w2.Reserve(1 << 20);
  WriteSomeTraffic(w1);
  WriteSomeTraffic(w2);
  EXPECT_EQ(w1.packet_count(), 200);
  EXPECT_TRUE(w1.bytes() == w2.bytes());
  EXPECT_EQ(ParseBlocks(w1.bytes()).size(), 1u + 2u + 200u);
  // Copies continue identically.
  PcapngWriter w3 = w1;
  ASSERT_TRUE(w1.WriteUdp(0, Timestamp::Zero(), V4("1.2.3.4:5"), V4("5.6.7.8:9"), 1, 2, {}).ok());
  ASSERT_TRUE(w3.WriteUdp(0, Timestamp::Zero(), V4("1.2.3.4:5"), V4("5.6.7.8:9"), 1, 2, {}).ok());
  EXPECT_TRUE(w1.bytes() == w3.bytes());
}

TEST(PcapngWriter, WriteToFile) {
  PcapngWriter w;
  WriteSomeTraffic(w);
  const char* tmp = std::getenv("TEST_TMPDIR");
  ASSERT_NE(tmp, nullptr);
  const std::string path = std::string(tmp) + "/write_to_file.pcapng";
  ASSERT_TRUE(w.WriteToFile(path).ok());
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> read((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  EXPECT_TRUE(read == w.bytes());
  const absl::Status bad = w.WriteToFile(std::string(tmp) + "/no/such/dir/x.pcapng");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("no/such/dir"), absl::string_view::npos) << bad;
}

}  // namespace
}  // namespace rtcsim::simnet
