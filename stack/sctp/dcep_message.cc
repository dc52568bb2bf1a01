#include "stack/sctp/dcep_message.h"

#include <cstddef>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace rtcsim::sctp {
namespace {

// RFC 8832 §5.1: type, channel type, priority, reliability parameter, label
// length, protocol length.
constexpr size_t kOpenHeaderSize = 12;

uint16_t Read16(absl::Span<const uint8_t> d, size_t at) {
  return static_cast<uint16_t>((d[at] << 8) | d[at + 1]);
}
uint32_t Read32(absl::Span<const uint8_t> d, size_t at) {
  return (uint32_t{d[at]} << 24) | (uint32_t{d[at + 1]} << 16) | (uint32_t{d[at + 2]} << 8) |
         uint32_t{d[at + 3]};
}
void Write16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void Write32(std::vector<uint8_t>& out, uint32_t v) {
  Write16(out, static_cast<uint16_t>(v >> 16));
  Write16(out, static_cast<uint16_t>(v));
}

bool IsKnownChannelType(uint8_t t) {
  switch (static_cast<DcepChannelType>(t)) {
    case DcepChannelType::kReliable:
    case DcepChannelType::kReliableUnordered:
    case DcepChannelType::kPartialReliableRexmit:
    case DcepChannelType::kPartialReliableRexmitUnordered:
    case DcepChannelType::kPartialReliableTimed:
    case DcepChannelType::kPartialReliableTimedUnordered:
      return true;
  }
  return false;
}

absl::StatusOr<DcepMessage> ParseOpen(absl::Span<const uint8_t> data) {
  if (data.size() < kOpenHeaderSize) {
    return absl::InvalidArgumentError(absl::StrCat("DCEP OPEN: ", data.size(),
                                                   " bytes, shorter than the ", kOpenHeaderSize,
                                                   "-byte fixed header (RFC 8832 §5.1)"));
  }
  DcepOpen open;
  if (!IsKnownChannelType(data[1])) {
    return absl::InvalidArgumentError(
        absl::StrCat("DCEP OPEN: unknown channel type 0x", absl::Hex(data[1])));
  }
  open.channel_type = static_cast<DcepChannelType>(data[1]);
  open.priority = Read16(data, 2);
  open.reliability_parameter = Read32(data, 4);
  const size_t label_length = Read16(data, 8);
  const size_t protocol_length = Read16(data, 10);
  const size_t expected = kOpenHeaderSize + label_length + protocol_length;
  if (data.size() < expected) {
    return absl::InvalidArgumentError(absl::StrCat(
        "DCEP OPEN: label length ", label_length, " + protocol length ", protocol_length,
        " exceed the ", data.size() - kOpenHeaderSize, " bytes after the header"));
  }
  if (data.size() > expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("DCEP OPEN: ", data.size() - expected,
                     " trailing bytes after label and protocol (inconsistent lengths)"));
  }
  const char* body = reinterpret_cast<const char*>(data.data()) + kOpenHeaderSize;
  open.label.assign(body, label_length);
  open.protocol.assign(body + label_length, protocol_length);
  return open;
}

}  // namespace

absl::StatusOr<DcepMessage> ParseDcepMessage(absl::Span<const uint8_t> data) {
  if (data.empty()) return absl::InvalidArgumentError("DCEP: empty message");
  switch (data[0]) {
    case kDcepOpen:
      return ParseOpen(data);
    case kDcepAck:
      // RFC 8832 §5.2: the ACK is the type byte alone.
      if (data.size() != 1) {
        return absl::InvalidArgumentError(
            absl::StrCat("DCEP ACK: ", data.size(), " bytes, expected 1"));
      }
      return DcepAck{};
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("DCEP: unknown message type 0x", absl::Hex(data[0])));
  }
}

absl::StatusOr<std::vector<uint8_t>> SerializeDcepOpen(const DcepOpen& open) {
  constexpr size_t kMax = std::numeric_limits<uint16_t>::max();
  if (open.label.size() > kMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("DCEP OPEN: label of ", open.label.size(), " bytes exceeds 65535"));
  }
  if (open.protocol.size() > kMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("DCEP OPEN: protocol of ", open.protocol.size(), " bytes exceeds 65535"));
  }
  std::vector<uint8_t> out;
  out.reserve(kOpenHeaderSize + open.label.size() + open.protocol.size());
  out.push_back(kDcepOpen);
  out.push_back(static_cast<uint8_t>(open.channel_type));
  Write16(out, open.priority);
  Write32(out, open.reliability_parameter);
  Write16(out, static_cast<uint16_t>(open.label.size()));
  Write16(out, static_cast<uint16_t>(open.protocol.size()));
  out.insert(out.end(), open.label.begin(), open.label.end());
  out.insert(out.end(), open.protocol.begin(), open.protocol.end());
  return out;
}

std::vector<uint8_t> SerializeDcepAck() { return {kDcepAck}; }

}  // namespace rtcsim::sctp
