// DTLS 1.2 record framing (RFC 6347 §4.1) and handshake message headers
// (RFC 6347 §4.2.2), read-only views over a received datagram.
//
// OpenSSL does the real record processing; these parsers exist so that the
// transport can classify and sanity-check datagrams before handing them over
// (RFC 7983 demultiplexing; truncated or garbage datagrams are counted and
// dropped), and so that tests and wire observers can see flights,
// retransmissions and record sizes in captures.
#ifndef RTCSIM_STACK_DTLS_DTLS_RECORD_H_
#define RTCSIM_STACK_DTLS_DTLS_RECORD_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace rtcsim::dtls {

// RFC 7983 §7: a first byte in 20..63 means DTLS on a socket shared with
// STUN (0..3), TURN ChannelData (64..79) and RTP/RTCP (128..191).
constexpr bool IsDtlsFirstByte(uint8_t b) { return b >= 20 && b <= 63; }
inline bool LooksLikeDtls(absl::Span<const uint8_t> datagram) {
  return !datagram.empty() && IsDtlsFirstByte(datagram[0]);
}

// RFC 5246 §6.2.1 ContentType (plus RFC 6520 heartbeat, RFC 9146 tls12_cid).
enum class ContentType : uint8_t {
  kChangeCipherSpec = 20,
  kAlert = 21,
  kHandshake = 22,
  kApplicationData = 23,
  kHeartbeat = 24,
  kTls12Cid = 25,
};
std::string ToString(ContentType type);

// RFC 6347 §4.1: DTLSPlaintext / DTLSCiphertext header, 13 bytes.
//   struct {
//     ContentType type;                 // 1
//     ProtocolVersion version;          // 2: {254, 253} = DTLS 1.2,
//                                       //    {254, 255} = DTLS 1.0
//     uint16 epoch;                     // 2
//     uint48 sequence_number;           // 6
//     uint16 length;                    // 2
//     opaque fragment[length];
//   } DTLSPlaintext;
inline constexpr size_t kRecordHeaderSize = 13;
// RFC 6347 §4.1 (via RFC 5246 §6.2.3): a ciphertext fragment never exceeds
// 2^14 + 2048 bytes.
inline constexpr size_t kMaxRecordFragment = (1 << 14) + 2048;
inline constexpr uint16_t kDtls10Version = 0xFEFF;
inline constexpr uint16_t kDtls12Version = 0xFEFD;

struct DtlsRecord {
  uint8_t content_type = 0;  // raw, so unknown types can be reported
  uint16_t version = 0;
  uint16_t epoch = 0;
  uint64_t sequence_number = 0;  // 48 bits
  size_t offset = 0;             // of the header within the datagram
  absl::Span<const uint8_t> fragment;

  size_t size() const { return kRecordHeaderSize + fragment.size(); }
  std::string ToString() const;
};

// Splits a datagram into its records (RFC 6347 §4.1.1: a datagram may carry
// several; none spans two datagrams). Errors name the record and byte offset:
// InvalidArgument for an empty datagram, a first byte outside 20..63, a
// version that is not DTLS (major byte 254) or an oversized length;
// OutOfRange for a truncated header or fragment.
absl::StatusOr<std::vector<DtlsRecord>> ParseDtlsRecords(absl::Span<const uint8_t> datagram);

// RFC 6347 §4.2.2 handshake message header, 12 bytes.
//   struct {
//     HandshakeType msg_type;    // 1
//     uint24 length;             // 3: of the whole message
//     uint16 message_seq;        // 2
//     uint24 fragment_offset;    // 3
//     uint24 fragment_length;    // 3
//     body fragment;
//   } Handshake;
inline constexpr size_t kHandshakeHeaderSize = 12;

// RFC 5246 §7.4 / RFC 6347 §4.3.2 HandshakeType values.
enum class HandshakeType : uint8_t {
  kHelloRequest = 0,
  kClientHello = 1,
  kServerHello = 2,
  kHelloVerifyRequest = 3,
  kNewSessionTicket = 4,
  kCertificate = 11,
  kServerKeyExchange = 12,
  kCertificateRequest = 13,
  kServerHelloDone = 14,
  kCertificateVerify = 15,
  kClientKeyExchange = 16,
  kFinished = 20,
};
std::string ToString(HandshakeType type);

struct HandshakeFragment {
  uint8_t msg_type = 0;
  uint32_t length = 0;
  uint16_t message_seq = 0;
  uint32_t fragment_offset = 0;
  absl::Span<const uint8_t> body;  // fragment_length bytes

  std::string ToString() const;
};

// Parses the handshake fragments of one plaintext (epoch 0) handshake
// record's fragment; a record may hold several (RFC 6347 §4.2.3). Errors:
// OutOfRange for a truncated header or body, InvalidArgument when a fragment
// lies beyond its message (offset + length > message length).
absl::StatusOr<std::vector<HandshakeFragment>> ParseHandshakeFragments(
    absl::Span<const uint8_t> record_fragment);

// The transport's gate before OpenSSL (RFC 6347 §4.1.2.7: invalid records
// are silently discarded). OK when the datagram splits into records
// (ParseDtlsRecords), every record has a content type a DTLS 1.2 WebRTC
// association uses (change_cipher_spec, alert, handshake, application_data;
// heartbeat and connection IDs are never negotiated), and every plaintext
// (epoch 0) handshake record splits into well-formed fragments
// (ParseHandshakeFragments). OpenSSL treats a malformed plaintext handshake
// fragment as fatal, so such a datagram, which only an attacker or a broken
// peer sends, would otherwise abort a handshake. Encrypted records are left
// to OpenSSL, which drops those that fail authentication.
absl::Status CheckDtlsDatagram(absl::Span<const uint8_t> datagram);

}  // namespace rtcsim::dtls

#endif  // RTCSIM_STACK_DTLS_DTLS_RECORD_H_
