// Data Channel Establishment Protocol messages (RFC 8832 §5): the
// DATA_CHANNEL_OPEN a peer sends to open a channel in-band and the
// DATA_CHANNEL_ACK the other side answers with. Both travel as SCTP messages
// with PPID 50 (kPpidDcep) on the channel's own stream (RFC 8832 §6).
//
// The parser takes untrusted bytes from the peer: every length is checked
// against the buffer and errors say which field is wrong.
#ifndef RTCSIM_STACK_SCTP_DCEP_MESSAGE_H_
#define RTCSIM_STACK_SCTP_DCEP_MESSAGE_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace rtcsim::sctp {

// RFC 8832 §8.2.1: message types.
inline constexpr uint8_t kDcepAck = 0x02;
inline constexpr uint8_t kDcepOpen = 0x03;

// RFC 8832 §5.1: channel types. The high bit means unordered (§8.2.2).
enum class DcepChannelType : uint8_t {
  kReliable = 0x00,
  kReliableUnordered = 0x80,
  kPartialReliableRexmit = 0x01,
  kPartialReliableRexmitUnordered = 0x81,
  kPartialReliableTimed = 0x02,
  kPartialReliableTimedUnordered = 0x82,
};

// RFC 8831 §6.4 / RFC 8832 §5.1: the priority values WebRTC uses, as the W3C
// RTCPriorityType maps them (very-low, low, medium, high).
inline constexpr uint16_t kPriorityVeryLow = 128;
inline constexpr uint16_t kPriorityLow = 256;
inline constexpr uint16_t kPriorityMedium = 512;
inline constexpr uint16_t kPriorityHigh = 1024;

struct DcepOpen {
  DcepChannelType channel_type = DcepChannelType::kReliable;
  uint16_t priority = kPriorityLow;
  // Retransmissions for the REXMIT types, lifetime in ms for the TIMED
  // types, ignored (and sent as 0) for the reliable ones (RFC 8832 §5.1).
  uint32_t reliability_parameter = 0;
  std::string label;
  std::string protocol;

  bool operator==(const DcepOpen&) const = default;
};

struct DcepAck {
  bool operator==(const DcepAck&) const = default;
};

using DcepMessage = std::variant<DcepOpen, DcepAck>;

// Whether the channel type delivers unordered (RFC 8832 §5.1).
inline bool IsUnordered(DcepChannelType type) { return (static_cast<uint8_t>(type) & 0x80) != 0; }

// Parses one DCEP message. InvalidArgument with the reason for an empty
// buffer, an unknown message or channel type, a truncated fixed header, label
// or protocol lengths that do not match the buffer (short or trailing bytes:
// RFC 8832 §7 calls inconsistent lengths an error), or an ACK with a body.
absl::StatusOr<DcepMessage> ParseDcepMessage(absl::Span<const uint8_t> data);

// Serialises an OPEN; InvalidArgument if the label or protocol does not fit
// its 16-bit length field.
absl::StatusOr<std::vector<uint8_t>> SerializeDcepOpen(const DcepOpen& open);
std::vector<uint8_t> SerializeDcepAck();

}  // namespace rtcsim::sctp

#endif  // RTCSIM_STACK_SCTP_DCEP_MESSAGE_H_
