#ifndef RTCSIM_SIMNET_CAPTURE_PCAPNG_WRITER_H_
#define RTCSIM_SIMNET_CAPTURE_PCAPNG_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "stack/env/socket_address.h"
#include "stack/env/time.h"

namespace rtcsim::simnet {

// Builds a pcapng capture (draft-ietf-opsawg-pcapng)
// in memory, for Wireshark/tshark.
//
// Layout: one Section Header Block (little-endian, byte-order magic
// 0x1A2B3C4D, section length unspecified), then one Interface Description
// Block per AddInterface() call (LINKTYPE_RAW = 101, i.e. packets start with
// an IPv4 or IPv6 header; snaplen 0 = unlimited; options if_name and
// if_tsresol = 9, i.e. nanosecond timestamps), and one Enhanced Packet Block
// per packet. Every block is padded to 32 bits and ends with its total length.
//
// The output is a pure function of the calls made: no host name, OS, wall
// clock or other environment data is written, so the same simulation yields
// the same bytes. Simulated time `t` is written as t + kEpochOffsetNs so that
// Wireshark shows plausible dates (simulation start = 2026-01-01T00:00:00Z).
//
// Writing a packet appends straight into the buffer: no per-packet heap
// allocation beyond amortised buffer growth (see Reserve()).
//
// Not thread-safe.
class PcapngWriter {
 public:
  // 2026-01-01T00:00:00Z in nanoseconds since the Unix epoch.
  static constexpr int64_t kEpochOffsetNs = int64_t{1767225600} * 1000000000;
  // pcapng link type for raw IPv4/IPv6 packets.
  static constexpr uint16_t kLinkTypeRaw = 101;
  // Block types.
  static constexpr uint32_t kSectionHeaderBlock = 0x0A0D0D0A;
  static constexpr uint32_t kInterfaceDescriptionBlock = 0x00000001;
  static constexpr uint32_t kEnhancedPacketBlock = 0x00000006;
  static constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;
  // Option codes.
  static constexpr uint16_t kOptEndOfOpt = 0;
  static constexpr uint16_t kOptComment = 1;
  static constexpr uint16_t kIfName = 2;
  static constexpr uint16_t kShbUserAppl = 4;
  static constexpr uint16_t kIfTsresol = 9;
  // Largest UDP payloads that fit the 16-bit length fields (no jumbograms).
  static constexpr size_t kMaxUdpPayloadV4 = 65535 - 20 - 8;
  static constexpr size_t kMaxUdpPayloadV6 = 65535 - 8;
  // Longest option value (interface names, comments).
  static constexpr size_t kMaxOptionLength = 65535;

  // Writes the Section Header Block (with shb_userappl "rtcsim").
  PcapngWriter();

  PcapngWriter(const PcapngWriter&) = default;
  PcapngWriter& operator=(const PcapngWriter&) = default;
  PcapngWriter(PcapngWriter&&) = default;
  PcapngWriter& operator=(PcapngWriter&&) = default;

  // Adds an Interface Description Block and returns the new interface's id
  // (0, 1, 2, ... in call order). May be called at any time, also after
  // packets were written. An empty name writes no if_name option; a name
  // longer than kMaxOptionLength bytes is truncated.
  int AddInterface(absl::string_view name);

  // Appends an Enhanced Packet Block holding a synthesised IPv4 or IPv6 +
  // UDP packet from `src` to `dst` carrying `payload`.
  //
  // IPv4: IHL 5, TOS 0, total length, identification `ip_id`, DF set,
  //   fragment offset 0, TTL `ttl`, protocol 17, header checksum.
  // IPv6: traffic class 0, flow label 0, payload length, next header 17,
  //   hop limit `ttl` (`ip_id` is unused).
  // UDP: ports, length, checksum over the IPv4/IPv6 pseudo-header, header
  //   and payload; a computed checksum of 0 is sent as 0xFFFF (RFC 768,
  //   RFC 8200 §8.1), so a checksum is always present.
  // A non-empty `comment` is written as the EPB opt_comment option (e.g. to
  // mark a packet the simulator dropped).
  //
  // Errors (nothing is written): InvalidArgument when `interface_id` was not
  // returned by AddInterface(), when `src` and `dst` are not both IPv4 or
  // both IPv6, or when `comment` is longer than kMaxOptionLength;
  // OutOfRange when the payload exceeds kMaxUdpPayloadV4/V6 or when
  // t + kEpochOffsetNs is negative or overflows (e.g. Timestamp::Infinite()).
  absl::Status WriteUdp(int interface_id, Timestamp t, const SocketAddress& src,
                        const SocketAddress& dst, uint8_t ttl, uint16_t ip_id,
                        absl::Span<const uint8_t> payload, absl::string_view comment = {});

  // The capture so far: a complete, valid pcapng file at any point.
  const std::vector<uint8_t>& bytes() const { return buffer_; }
  absl::string_view view() const {
    return absl::string_view(reinterpret_cast<const char*>(buffer_.data()), buffer_.size());
  }
  // Writes bytes() to `path`, replacing any existing file.
  absl::Status WriteToFile(const std::string& path) const;

  // Pre-allocates room for `total_bytes` of capture.
  void Reserve(size_t total_bytes) { buffer_.reserve(total_bytes); }

  int interface_count() const { return interface_count_; }
  int64_t packet_count() const { return packet_count_; }

 private:
  // Appends `size` zero bytes and returns a pointer to the first of them.
  uint8_t* Grow(size_t size);

  std::vector<uint8_t> buffer_;
  int interface_count_ = 0;
  int64_t packet_count_ = 0;
};

}  // namespace rtcsim::simnet

#endif  // RTCSIM_SIMNET_CAPTURE_PCAPNG_WRITER_H_
