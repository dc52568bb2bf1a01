#include "stack/demux/demux.h"

#include "absl/strings/str_cat.h"

namespace rtcsim::demux {

std::string ToString(PacketKind kind) {
  switch (kind) {
    case PacketKind::kUnknown:
      return "unknown";
    case PacketKind::kStun:
      return "STUN";
    case PacketKind::kZrtp:
      return "ZRTP";
    case PacketKind::kDtls:
      return "DTLS";
    case PacketKind::kTurnChannelData:
      return "TURN ChannelData";
    case PacketKind::kRtp:
      return "RTP";
    case PacketKind::kRtcp:
      return "RTCP";
  }
  return absl::StrCat("PacketKind(", static_cast<int>(kind), ")");
}

PacketKind Classify(absl::Span<const uint8_t> packet) {
  if (packet.empty()) return PacketKind::kUnknown;
  const PacketKind kind = ClassifyFirstByte(packet[0]);
  if (kind != PacketKind::kRtp) return kind;
  // RTP and RTCP both need at least their 2-byte common prefix (RFC 3550
  // §5.1, §6.4.1) before the RFC 5761 §4 test can be applied.
  if (packet.size() < 2) return PacketKind::kUnknown;
  return IsRtcpSecondByte(packet[1]) ? PacketKind::kRtcp : PacketKind::kRtp;
}

}  // namespace rtcsim::demux
