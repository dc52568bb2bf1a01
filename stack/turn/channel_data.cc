// ChannelData framing, RFC 8656 §12.4:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |         Channel Number        |            Length             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                                                               |
//   /                       Application Data                        /
//   /                                                               /
//   |                                                               |
//   |                               +-------------------------------+
//   |                               |
//   +-------------------------------+
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "stack/turn/turn_client.h"

namespace rtcsim::turn {
namespace {

constexpr size_t kChannelDataHeaderSize = 4;
// RFC 8656 §12: 0x4000-0x4FFF are channel numbers; 0x5000-0xFFFF are
// reserved so that RFC 7983 demultiplexing keeps working.
constexpr uint16_t kMinChannel = 0x4000;
constexpr uint16_t kMaxChannel = 0x4FFF;

size_t PaddedLength(size_t n) { return (n + 3) & ~size_t{3}; }

}  // namespace

// RFC 7983 §7 / RFC 8656 §12 Table 3: a first byte in 64..79 is a TURN
// channel.
bool LooksLikeChannelData(absl::Span<const uint8_t> packet) {
  return packet.size() >= kChannelDataHeaderSize && packet[0] >= 0x40 && packet[0] <= 0x4F;
}

absl::StatusOr<ChannelDataView> ParseChannelData(absl::Span<const uint8_t> packet) {
  if (packet.size() < kChannelDataHeaderSize) {
    return absl::OutOfRangeError(
        absl::StrFormat("ChannelData: %d bytes, shorter than the 4-byte header", packet.size()));
  }
  const uint16_t channel = static_cast<uint16_t>(packet[0] << 8 | packet[1]);
  const size_t length = static_cast<size_t>(packet[2] << 8 | packet[3]);
  if (channel < kMinChannel || channel > kMaxChannel) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "ChannelData: channel number 0x%04x at offset 0 is outside 0x4000-0x4FFF", channel));
  }
  const size_t available = packet.size() - kChannelDataHeaderSize;
  // RFC 8656 §12.6: a datagram too short for the claimed length is discarded.
  if (length > available) {
    return absl::OutOfRangeError(absl::StrFormat(
        "ChannelData: length field (offset 2) says %d bytes but only %d follow the header", length,
        available));
  }
  // §12.5: over UDP the padding to a multiple of 4 MAY be present; anything
  // beyond that padding is not a ChannelData message we sent or expect.
  if (available > PaddedLength(length)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "ChannelData: %d bytes after %d bytes of data, more than the at most 3 padding bytes",
        available - length, length));
  }
  ChannelDataView view;
  view.channel = channel;
  view.data = packet.subspan(kChannelDataHeaderSize, length);
  return view;
}

std::vector<uint8_t> MakeChannelData(uint16_t channel, absl::Span<const uint8_t> data) {
  // The length field is 16 bits; callers (SendTo) never hand more than a UDP
  // payload, and a larger one would not fit a datagram anyway.
  const size_t length = data.size() > 0xFFFF ? 0xFFFF : data.size();
  std::vector<uint8_t> out(kChannelDataHeaderSize + PaddedLength(length), 0);
  out[0] = static_cast<uint8_t>(channel >> 8);
  out[1] = static_cast<uint8_t>(channel);
  out[2] = static_cast<uint8_t>(length >> 8);
  out[3] = static_cast<uint8_t>(length);
  std::copy(data.begin(), data.begin() + length, out.begin() + kChannelDataHeaderSize);
  return out;
}

}  // namespace rtcsim::turn
