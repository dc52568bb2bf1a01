#include "simnet/capture/pcapng_reader.h"

#include <array>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "simnet/capture/pcapng_writer.h"

namespace rtcsim::simnet {
namespace {

using Opt = PcapngWriter;

uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t Le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}
uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t Be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

struct Interface {
  std::string name;
  // Ticks per second as 10^k; pcapng's default is microseconds.
  int64_t ns_per_tick = 1000;
  bool ok_resolution = true;
};

absl::Status BlockError(size_t offset, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("pcapng: block at offset ", offset, ": ", what));
}

// Walks the options in body[start, end): calls `f(code, value)` for each.
template <typename F>
absl::Status ForEachOption(absl::Span<const uint8_t> body, size_t start, size_t block_offset, F f) {
  size_t pos = start;
  while (pos + 4 <= body.size()) {
    const uint16_t code = Le16(&body[pos]);
    const uint16_t length = Le16(&body[pos + 2]);
    pos += 4;
    if (code == Opt::kOptEndOfOpt) return absl::OkStatus();
    const size_t padded = (size_t{length} + 3) & ~size_t{3};
    if (padded > body.size() - pos) {
      return BlockError(block_offset, absl::StrCat("option ", code, " of ", length,
                                                   " bytes runs past the block"));
    }
    f(code, body.subspan(pos, length));
    pos += padded;
  }
  return absl::OkStatus();  // Options may end without opt_endofopt.
}

absl::Status ParseIpUdp(absl::Span<const uint8_t> packet, size_t block_offset,
                        CapturedDatagram& out) {
  if (packet.empty()) return BlockError(block_offset, "empty packet");
  const int version = packet[0] >> 4;
  size_t udp_start = 0;
  if (version == 4) {
    if (packet.size() < 20) return BlockError(block_offset, "IPv4 header truncated");
    const size_t ihl = static_cast<size_t>(packet[0] & 0x0F) * 4;
    if (ihl < 20 || ihl > packet.size()) return BlockError(block_offset, "bad IPv4 header length");
    if (packet[9] != 17) return BlockError(block_offset, "IPv4 packet is not UDP");
    out.src = SocketAddress(IpAddress::V4(Be32(&packet[12])), 0);
    out.dst = SocketAddress(IpAddress::V4(Be32(&packet[16])), 0);
    udp_start = ihl;
  } else if (version == 6) {
    if (packet.size() < 40) return BlockError(block_offset, "IPv6 header truncated");
    if (packet[6] != 17) return BlockError(block_offset, "IPv6 packet is not UDP");
    std::array<uint8_t, 16> src, dst;
    std::memcpy(src.data(), &packet[8], 16);
    std::memcpy(dst.data(), &packet[24], 16);
    out.src = SocketAddress(IpAddress::V6(src), 0);
    out.dst = SocketAddress(IpAddress::V6(dst), 0);
    udp_start = 40;
  } else {
    return BlockError(block_offset, absl::StrCat("IP version ", version));
  }
  if (packet.size() - udp_start < 8) return BlockError(block_offset, "UDP header truncated");
  const uint8_t* udp = &packet[udp_start];
  const size_t udp_length = Be16(udp + 4);
  if (udp_length < 8 || udp_length > packet.size() - udp_start) {
    return BlockError(block_offset, absl::StrCat("UDP length ", udp_length, " does not fit"));
  }
  out.src = SocketAddress(out.src.ip(), Be16(udp));
  out.dst = SocketAddress(out.dst.ip(), Be16(udp + 2));
  out.payload.assign(udp + 8, udp + udp_length);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<CapturedDatagram>> ReadPcapng(absl::Span<const uint8_t> file) {
  std::vector<CapturedDatagram> out;
  std::vector<Interface> interfaces;
  size_t offset = 0;
  bool seen_section = false;
  while (offset < file.size()) {
    if (file.size() - offset < 12) return BlockError(offset, "truncated block header");
    const uint32_t type = Le32(&file[offset]);
    const uint32_t length = Le32(&file[offset + 4]);
    if (length < 12 || length % 4 != 0 || length > file.size() - offset) {
      return BlockError(offset, absl::StrCat("bad total length ", length));
    }
    if (Le32(&file[offset + length - 4]) != length) {
      return BlockError(offset, "trailing length differs from leading length");
    }
    const absl::Span<const uint8_t> body = file.subspan(offset + 8, length - 12);
    if (type == PcapngWriter::kSectionHeaderBlock) {
      if (body.size() < 16) return BlockError(offset, "section header truncated");
      if (Le32(&body[0]) != PcapngWriter::kByteOrderMagic) {
        return BlockError(offset, "not a little-endian section");
      }
      interfaces.clear();
      seen_section = true;
    } else if (!seen_section) {
      return BlockError(offset, "file does not start with a section header");
    } else if (type == PcapngWriter::kInterfaceDescriptionBlock) {
      if (body.size() < 8) return BlockError(offset, "interface description truncated");
      if (Le16(&body[0]) != PcapngWriter::kLinkTypeRaw) {
        return BlockError(offset, absl::StrCat("link type ", Le16(&body[0]), " is not RAW"));
      }
      Interface iface;
      absl::Status s = ForEachOption(body, 8, offset, [&](uint16_t code, auto value) {
        if (code == Opt::kIfName) {
          iface.name.assign(value.begin(), value.end());
        } else if (code == Opt::kIfTsresol && value.size() == 1) {
          // Only power-of-ten resolutions from 10^0 to 10^9 are supported.
          const uint8_t r = value[0];
          if (r & 0x80 || r > 9) {
            iface.ok_resolution = false;
          } else {
            int64_t ns = 1;
            for (int i = r; i < 9; ++i) ns *= 10;
            iface.ns_per_tick = ns;
          }
        }
      });
      if (!s.ok()) return s;
      if (!iface.ok_resolution) return BlockError(offset, "unsupported if_tsresol");
      interfaces.push_back(std::move(iface));
    } else if (type == PcapngWriter::kEnhancedPacketBlock) {
      if (body.size() < 20) return BlockError(offset, "enhanced packet block truncated");
      const uint32_t iface_id = Le32(&body[0]);
      if (iface_id >= interfaces.size()) {
        return BlockError(offset, absl::StrCat("unknown interface ", iface_id));
      }
      const uint64_t ticks = (uint64_t{Le32(&body[4])} << 32) | Le32(&body[8]);
      const uint32_t captured = Le32(&body[12]);
      if (captured > body.size() - 20) return BlockError(offset, "captured length runs past block");
      CapturedDatagram d;
      d.interface_id = static_cast<int>(iface_id);
      d.interface_name = interfaces[iface_id].name;
      const Interface& iface = interfaces[iface_id];
      if (ticks > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / iface.ns_per_tick) {
        return BlockError(offset, "timestamp overflows");
      }
      d.time = Timestamp::Nanos(static_cast<int64_t>(ticks) * iface.ns_per_tick -
                                PcapngWriter::kEpochOffsetNs);
      absl::Status s = ParseIpUdp(body.subspan(20, captured), offset, d);
      if (!s.ok()) return s;
      const size_t options_start = 20 + ((size_t{captured} + 3) & ~size_t{3});
      if (options_start < body.size()) {
        s = ForEachOption(body, options_start, offset, [&](uint16_t code, auto value) {
          if (code == Opt::kOptComment) d.comment.assign(value.begin(), value.end());
        });
        if (!s.ok()) return s;
      }
      out.push_back(std::move(d));
    }
    offset += length;
  }
  return out;
}

}  // namespace rtcsim::simnet
