// RTCP, RFC 3550 §6.4–§6.6: compound packets, sender and receiver reports,
// source descriptions and BYE. Other packet types (APP, RTPFB, PSFB, XR, ...)
// are kept as raw views for the layers that understand them.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |V=2|P|  count  |      PT       |   length (32-bit words - 1)   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Parsing is in two steps. RtcpCompoundView::Parse splits a compound
// packet into RtcpPacketViews (spans into the caller's buffer, no copy),
// checking every length. Each typed packet then has its own
// `static StatusOr<X> Parse(const RtcpPacketView&)` that decodes its fields
// into a small value type with SerializeTo and ToString.
#ifndef RTCSIM_STACK_RTP_RTCP_PACKET_H_
#define RTCSIM_STACK_RTP_RTCP_PACKET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace rtcsim::rtp {

inline constexpr size_t kRtcpHeaderSize = 4;
inline constexpr size_t kReportBlockSize = 24;
inline constexpr size_t kSenderInfoSize = 20;
inline constexpr size_t kMaxRtcpCount = 31;  // the 5-bit RC/SC field

// RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1, RFC 3611 §2).
namespace rtcp_type {
inline constexpr uint8_t kSr = 200;
inline constexpr uint8_t kRr = 201;
inline constexpr uint8_t kSdes = 202;
inline constexpr uint8_t kBye = 203;
inline constexpr uint8_t kApp = 204;
inline constexpr uint8_t kRtpfb = 205;
inline constexpr uint8_t kPsfb = 206;
inline constexpr uint8_t kXr = 207;
}  // namespace rtcp_type
std::string RtcpTypeName(uint8_t type);  // "SR", "RTPFB", or "PT 210"

// SDES item types (RFC 3550 §6.5).
namespace sdes_item {
inline constexpr uint8_t kEnd = 0;
inline constexpr uint8_t kCname = 1;
inline constexpr uint8_t kName = 2;
inline constexpr uint8_t kEmail = 3;
inline constexpr uint8_t kPhone = 4;
inline constexpr uint8_t kLoc = 5;
inline constexpr uint8_t kTool = 6;
inline constexpr uint8_t kNote = 7;
inline constexpr uint8_t kPriv = 8;
}  // namespace sdes_item

// One RTCP packet inside a compound packet.
class RtcpPacketView {
 public:
  uint8_t type() const { return type_; }
  uint8_t count() const { return count_; }  // RC / SC / FMT: the 5 low bits of byte 0
  bool has_padding() const { return has_padding_; }
  // After the 4-byte header, without the padding the P bit announces.
  absl::Span<const uint8_t> payload() const { return payload_; }
  // The whole packet, header and padding included.
  absl::Span<const uint8_t> data() const { return data_; }
  // Where this packet starts in the compound packet, for error messages.
  size_t offset() const { return offset_; }

  std::string ToString() const;  // "RTPFB count=1 len=16 @60"

 private:
  friend class RtcpCompoundView;
  uint8_t type_ = 0;
  uint8_t count_ = 0;
  bool has_padding_ = false;
  absl::Span<const uint8_t> payload_;
  absl::Span<const uint8_t> data_;
  size_t offset_ = 0;
};

class RtcpCompoundView {
 public:
  // Splits `data` into its packets (RFC 3550 §6.1, checks of Appendix A.2):
  // each has version 2 and a length that fits, the lengths add up to the
  // whole buffer exactly, and a set P bit comes with a padding count (last
  // octet of that packet) of at least 1 that fits in the packet body. The
  // first packet need not be SR or RR, so reduced-size RTCP (RFC 5506)
  // parses too; IsRfc3550Compound() tells. Empty input is OutOfRange.
  static absl::StatusOr<RtcpCompoundView> Parse(absl::Span<const uint8_t> data);

  absl::Span<const RtcpPacketView> packets() const { return packets_; }
  absl::Span<const uint8_t> data() const { return data_; }

  // RFC 3550 §6.1 / Appendix A.2: begins with SR or RR, and only the last
  // packet is padded.
  bool IsRfc3550Compound() const;

  std::string ToString() const;  // "RTCP[SR count=1 len=52 @0, SDES count=1 len=20 @52]"

 private:
  absl::Span<const uint8_t> data_;
  absl::InlinedVector<RtcpPacketView, 4> packets_;
};

// RFC 3550 §6.4.1 report block.
//
//   |                 SSRC_1 (SSRC of first source)                 |
//   | fraction lost |       cumulative number of packets lost       |
//   |           extended highest sequence number received           |
//   |                      interarrival jitter                      |
//   |                         last SR (LSR)                         |
//   |                   delay since last SR (DLSR)                  |
struct ReportBlock {
  uint32_t ssrc = 0;
  uint8_t fraction_lost = 0;  // fixed point, /256
  // Signed 24 bits on the wire; may be negative with duplicates (§6.4.1).
  // SerializeTo clamps to [-0x800000, 0x7FFFFF] as Appendix A.3 advises.
  int32_t cumulative_lost = 0;
  uint32_t extended_highest_seq = 0;
  uint32_t jitter = 0;               // in RTP timestamp units
  uint32_t last_sr = 0;              // middle 32 bits of the SR's NTP timestamp
  uint32_t delay_since_last_sr = 0;  // in 1/65536 seconds

  // `data` must be at least 24 bytes; reads the first 24.
  static ReportBlock Parse(absl::Span<const uint8_t> data);
  void SerializeTo(std::vector<uint8_t>& out) const;
  std::string ToString() const;
  friend bool operator==(const ReportBlock&, const ReportBlock&) = default;
};

// RFC 3550 §6.4.1 sender info.
struct SenderInfo {
  uint64_t ntp_timestamp = 0;  // 32.32 fixed point seconds since 1900
  uint32_t rtp_timestamp = 0;
  uint32_t packet_count = 0;
  uint32_t octet_count = 0;
  friend bool operator==(const SenderInfo&, const SenderInfo&) = default;
};

// SR, PT=200 (RFC 3550 §6.4.1).
struct SenderReport {
  uint32_t sender_ssrc = 0;
  SenderInfo sender_info;
  std::vector<ReportBlock> report_blocks;  // at most 31
  // Profile-specific extension after the report blocks (§6.4.3), kept
  // opaque; a multiple of 4 bytes.
  std::vector<uint8_t> profile_extension;

  static absl::StatusOr<SenderReport> Parse(const RtcpPacketView& packet);
  // Appends one RTCP packet. InvalidArgument for more than 31 blocks or a
  // profile extension that is not whole words.
  absl::Status SerializeTo(std::vector<uint8_t>& out) const;
  std::string ToString() const;
  friend bool operator==(const SenderReport&, const SenderReport&) = default;
};

// RR, PT=201 (RFC 3550 §6.4.2).
struct ReceiverReport {
  uint32_t sender_ssrc = 0;
  std::vector<ReportBlock> report_blocks;  // at most 31
  std::vector<uint8_t> profile_extension;

  static absl::StatusOr<ReceiverReport> Parse(const RtcpPacketView& packet);
  absl::Status SerializeTo(std::vector<uint8_t>& out) const;
  std::string ToString() const;
  friend bool operator==(const ReceiverReport&, const ReceiverReport&) = default;
};

// SDES, PT=202 (RFC 3550 §6.5). Item text is copied: CNAMEs are short and a
// value type is easier to keep than a view.
struct Sdes {
  struct Item {
    uint8_t type = 0;   // sdes_item::k*, never kEnd
    std::string value;  // at most 255 octets
    friend bool operator==(const Item&, const Item&) = default;
  };
  struct Chunk {
    uint32_t ssrc = 0;
    std::vector<Item> items;
    // The first CNAME item's value, or nullptr.
    const std::string* cname() const;
    friend bool operator==(const Chunk&, const Chunk&) = default;
  };
  std::vector<Chunk> chunks;  // at most 31

  static absl::StatusOr<Sdes> Parse(const RtcpPacketView& packet);
  absl::Status SerializeTo(std::vector<uint8_t>& out) const;
  std::string ToString() const;
  friend bool operator==(const Sdes&, const Sdes&) = default;
};

// BYE, PT=203 (RFC 3550 §6.6).
struct Bye {
  std::vector<uint32_t> ssrcs;  // at most 31
  std::string reason;           // optional, at most 255 octets

  static absl::StatusOr<Bye> Parse(const RtcpPacketView& packet);
  absl::Status SerializeTo(std::vector<uint8_t>& out) const;
  std::string ToString() const;
  friend bool operator==(const Bye&, const Bye&) = default;
};

// Concatenates RTCP packets into one compound packet (RFC 3550 §6.1).
// Each Add validates and appends immediately; on error nothing is appended.
class RtcpCompoundBuilder {
 public:
  absl::Status Add(const SenderReport& sr) { return sr.SerializeTo(bytes_); }
  absl::Status Add(const ReceiverReport& rr) { return rr.SerializeTo(bytes_); }
  absl::Status Add(const Sdes& sdes) { return sdes.SerializeTo(bytes_); }
  absl::Status Add(const Bye& bye) { return bye.SerializeTo(bytes_); }
  // Any other packet: `payload` (after the 4-byte header) must be whole
  // words; `count` fits 5 bits.
  absl::Status AddRaw(uint8_t type, uint8_t count, absl::Span<const uint8_t> payload);
  // Copies a parsed packet as it was (header, payload and padding).
  void AddRaw(const RtcpPacketView& packet);

  const std::vector<uint8_t>& bytes() const { return bytes_; }
  std::vector<uint8_t> Finish() && { return std::move(bytes_); }

 private:
  std::vector<uint8_t> bytes_;
};

}  // namespace rtcsim::rtp

#endif  // RTCSIM_STACK_RTP_RTCP_PACKET_H_
