// Demultiplexing of everything WebRTC sends on one UDP 5-tuple, by the first
// byte of the payload (RFC 7983 §7, which updates RFC 5764 §5.1.2), and of
// RTP from RTCP when they share the port (rtcp-mux, RFC 5761 §4).
//
//                   +----------------+
//                   |        [0..3] -+--> STUN
//                   |      [16..19] -+--> ZRTP
//       packet -->  |      [20..63] -+--> DTLS
//                   |      [64..79] -+--> TURN ChannelData
//                   |    [128..191] -+--> RTP / RTCP (second byte decides)
//                   +----------------+
//
// Pure functions of the bytes: a classification is a routing hint, not a
// validation; the chosen parser still checks the packet in full.
#ifndef RTCSIM_STACK_DEMUX_DEMUX_H_
#define RTCSIM_STACK_DEMUX_DEMUX_H_

#include <cstdint>
#include <string>

#include "absl/types/span.h"

namespace rtcsim::demux {

enum class PacketKind : uint8_t {
  kUnknown,  // no range matches: RFC 7983 §7 says the packet MUST be dropped
  kStun,
  kZrtp,
  kDtls,
  kTurnChannelData,
  kRtp,
  kRtcp,
};
std::string ToString(PacketKind kind);

// The RFC 7983 §7 ranges alone. For [128..191] this answers kRtp, since
// without the second byte RTP and RTCP cannot be told apart.
constexpr PacketKind ClassifyFirstByte(uint8_t b) {
  if (b <= 3) return PacketKind::kStun;
  if (b >= 16 && b <= 19) return PacketKind::kZrtp;
  if (b >= 20 && b <= 63) return PacketKind::kDtls;
  if (b >= 64 && b <= 79) return PacketKind::kTurnChannelData;
  if (b >= 128 && b <= 191) return PacketKind::kRtp;
  return PacketKind::kUnknown;
}

// RFC 5761 §4: with rtcp-mux, RTP payload types 64..95 are not used, so a
// second byte whose low 7 bits (the payload type with the marker masked)
// are 64..95 is RTCP. Every RTCP packet type in use (192..223: SR 200 to XR
// 207, FIR/NACK 192/193, and the §4 ranges reserved for new types) has
// those low bits; masking also routes a non-conforming RTP packet with
// PT 64..95 and the marker clear (second byte 64..95) to RTCP, where it
// fails to parse rather than being misread as media.
constexpr bool IsRtcpSecondByte(uint8_t b) {
  const uint8_t low = b & 0x7F;
  return low >= 64 && low <= 95;
}

// Classifies a UDP payload. Empty payloads are kUnknown; so is a payload
// in the RTP/RTCP range with no second byte, which can be neither.
PacketKind Classify(absl::Span<const uint8_t> packet);

}  // namespace rtcsim::demux

#endif  // RTCSIM_STACK_DEMUX_DEMUX_H_
