#include "simnet/capture/pcapng_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "simnet/capture/checksum.h"

namespace rtcsim::simnet {
namespace {

using Opt = PcapngWriter;  // option codes live in the header, shared with the reader

constexpr absl::string_view kUserAppl = "rtcsim";

constexpr uint8_t kIpProtoUdp = 17;
constexpr size_t kIpv4HeaderSize = 20;
constexpr size_t kIpv6HeaderSize = 40;
constexpr size_t kUdpHeaderSize = 8;
// Block type + total length + ... + trailing total length.
constexpr size_t kEpbFixedSize = 32;

constexpr size_t Pad4(size_t n) { return (n + 3) & ~size_t{3}; }
// Size of one option (header + padded value).
constexpr size_t OptionSize(size_t value_size) { return 4 + Pad4(value_size); }

// pcapng fields are written little-endian (matching the byte-order magic).
void PutLe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void PutLe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}
// Network headers are big-endian.
void PutBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// Writes an option at `p` (the buffer is already zeroed, so padding is too)
// and returns the position after it.
uint8_t* PutOption(uint8_t* p, uint16_t code, absl::string_view value) {
  PutLe16(p, code);
  PutLe16(p + 2, static_cast<uint16_t>(value.size()));
  if (!value.empty()) std::memcpy(p + 4, value.data(), value.size());
  return p + OptionSize(value.size());
}

}  // namespace

PcapngWriter::PcapngWriter() {
  // Section Header Block.
  const size_t size = 24 + OptionSize(kUserAppl.size()) + OptionSize(0) + 4;
  uint8_t* p = Grow(size);
  PutLe32(p, kSectionHeaderBlock);
  PutLe32(p + 4, static_cast<uint32_t>(size));
  PutLe32(p + 8, kByteOrderMagic);
  PutLe16(p + 12, 1);           // Major version.
  PutLe16(p + 14, 0);           // Minor version.
  PutLe32(p + 16, 0xFFFFFFFF);  // Section length: -1, unspecified.
  PutLe32(p + 20, 0xFFFFFFFF);
  uint8_t* o = PutOption(p + 24, Opt::kShbUserAppl, kUserAppl);
  o = PutOption(o, Opt::kOptEndOfOpt, {});
  PutLe32(o, static_cast<uint32_t>(size));
}

uint8_t* PcapngWriter::Grow(size_t size) {
  const size_t start = buffer_.size();
  buffer_.resize(start + size);  // Zero-fills; amortised growth.
  return buffer_.data() + start;
}

int PcapngWriter::AddInterface(absl::string_view name) {
  if (name.size() > kMaxOptionLength) name = name.substr(0, kMaxOptionLength);
  const size_t size =
      16 + (name.empty() ? 0 : OptionSize(name.size())) + OptionSize(1) + OptionSize(0) + 4;
  uint8_t* p = Grow(size);
  PutLe32(p, kInterfaceDescriptionBlock);
  PutLe32(p + 4, static_cast<uint32_t>(size));
  PutLe16(p + 8, kLinkTypeRaw);
  PutLe16(p + 10, 0);  // Reserved.
  PutLe32(p + 12, 0);  // Snap length: 0, no limit.
  uint8_t* o = p + 16;
  if (!name.empty()) o = PutOption(o, Opt::kIfName, name);
  const char tsresol = 9;  // 10^-9 s: nanoseconds.
  o = PutOption(o, Opt::kIfTsresol, absl::string_view(&tsresol, 1));
  o = PutOption(o, Opt::kOptEndOfOpt, {});
  PutLe32(o, static_cast<uint32_t>(size));
  return interface_count_++;
}

absl::Status PcapngWriter::WriteUdp(int interface_id, Timestamp t, const SocketAddress& src,
                                    const SocketAddress& dst, uint8_t ttl, uint16_t ip_id,
                                    absl::Span<const uint8_t> payload, absl::string_view comment) {
  // Validate everything before touching the buffer.
  if (interface_id < 0 || interface_id >= interface_count_) {
    return absl::InvalidArgumentError(absl::StrCat("pcapng: unknown interface id ", interface_id));
  }
  const IpFamily family = src.family();
  if (family == IpFamily::kNone || dst.family() != family) {
    return absl::InvalidArgumentError(absl::StrCat("pcapng: source ", src.ToString(),
                                                   " and destination ", dst.ToString(),
                                                   " are not both IPv4 or both IPv6"));
  }
  const bool v4 = family == IpFamily::kV4;
  if (payload.size() > (v4 ? kMaxUdpPayloadV4 : kMaxUdpPayloadV6)) {
    return absl::OutOfRangeError(
        absl::StrCat("pcapng: UDP payload of ", payload.size(), " bytes is too large"));
  }
  if (comment.size() > kMaxOptionLength) {
    return absl::InvalidArgumentError("pcapng: comment longer than 65535 bytes");
  }
  if (t.ns() < -kEpochOffsetNs || t.ns() > std::numeric_limits<int64_t>::max() - kEpochOffsetNs) {
    return absl::OutOfRangeError(absl::StrCat("pcapng: timestamp out of range: ", t.ns(), " ns"));
  }
  const uint64_t ts = static_cast<uint64_t>(t.ns() + kEpochOffsetNs);

  const size_t ip_header_size = v4 ? kIpv4HeaderSize : kIpv6HeaderSize;
  const size_t udp_length = kUdpHeaderSize + payload.size();
  const size_t packet_length = ip_header_size + udp_length;
  const size_t options_size = comment.empty() ? 0 : OptionSize(comment.size()) + OptionSize(0);
  const size_t block_size = kEpbFixedSize + Pad4(packet_length) + options_size;

  uint8_t* p = Grow(block_size);
  PutLe32(p, kEnhancedPacketBlock);
  PutLe32(p + 4, static_cast<uint32_t>(block_size));
  PutLe32(p + 8, static_cast<uint32_t>(interface_id));
  PutLe32(p + 12, static_cast<uint32_t>(ts >> 32));
  PutLe32(p + 16, static_cast<uint32_t>(ts));
  PutLe32(p + 20, static_cast<uint32_t>(packet_length));  // Captured length.
  PutLe32(p + 24, static_cast<uint32_t>(packet_length));  // Original length.

  uint8_t* ip = p + 28;
  uint8_t* udp = ip + ip_header_size;
  // Pseudo-header (RFC 768 / RFC 8200 §8.1): addresses, protocol and UDP
  // length; the 32-bit IPv6 length sums the same as the 16-bit IPv4 one.
  ChecksumAccumulator udp_sum;
  udp_sum.Add(src.ip().data(), src.ip().size());
  udp_sum.Add(dst.ip().data(), dst.ip().size());
  udp_sum.AddWord(kIpProtoUdp);
  udp_sum.AddWord(static_cast<uint16_t>(udp_length));
  if (v4) {
    ip[0] = 0x45;  // Version 4, IHL 5.
    ip[1] = 0;     // DSCP/ECN.
    PutBe16(ip + 2, static_cast<uint16_t>(packet_length));
    PutBe16(ip + 4, ip_id);
    PutBe16(ip + 6, 0x4000);  // DF, fragment offset 0.
    ip[8] = ttl;
    ip[9] = kIpProtoUdp;
    // ip[10..11]: header checksum, filled in below.
    std::memcpy(ip + 12, src.ip().data(), 4);
    std::memcpy(ip + 16, dst.ip().data(), 4);
    PutBe16(ip + 10, InternetChecksum(absl::MakeConstSpan(ip, kIpv4HeaderSize)));
  } else {
    ip[0] = 0x60;  // Version 6, traffic class 0, flow label 0.
    PutBe16(ip + 4, static_cast<uint16_t>(udp_length));
    ip[6] = kIpProtoUdp;
    ip[7] = ttl;
    std::memcpy(ip + 8, src.ip().data(), 16);
    std::memcpy(ip + 24, dst.ip().data(), 16);
  }
  PutBe16(udp, src.port());
  PutBe16(udp + 2, dst.port());
  PutBe16(udp + 4, static_cast<uint16_t>(udp_length));
  // udp[6..7]: checksum, zero while summing.
  if (!payload.empty()) {
    std::memcpy(udp + kUdpHeaderSize, payload.data(), payload.size());
  }
  udp_sum.Add(udp, udp_length);
  uint16_t checksum = udp_sum.Checksum();
  if (checksum == 0) checksum = 0xFFFF;  // 0 would mean "no checksum".
  PutBe16(udp + 6, checksum);

  uint8_t* o = ip + Pad4(packet_length);
  if (!comment.empty()) {
    o = PutOption(o, Opt::kOptComment, comment);
    o = PutOption(o, Opt::kOptEndOfOpt, {});
  }
  PutLe32(o, static_cast<uint32_t>(block_size));
  ++packet_count_;
  return absl::OkStatus();
}

absl::Status PcapngWriter::WriteToFile(const std::string& path) const {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return absl::InternalError(
        absl::StrCat("pcapng: cannot open ", path, ": ", std::strerror(errno)));
  }
  const size_t written = buffer_.empty() ? 0 : std::fwrite(buffer_.data(), 1, buffer_.size(), f);
  const int write_errno = errno;
  const bool close_ok = std::fclose(f) == 0;
  if (written != buffer_.size()) {
    return absl::InternalError(
        absl::StrCat("pcapng: cannot write ", path, ": ", std::strerror(write_errno)));
  }
  if (!close_ok) {
    return absl::InternalError(
        absl::StrCat("pcapng: cannot close ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace rtcsim::simnet
