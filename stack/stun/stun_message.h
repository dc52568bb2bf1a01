// STUN message codec, RFC 8489 (with the TURN attributes of RFC 8656 and the
// ICE attributes of RFC 8445 §16.1).
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |0 0|     STUN Message Type     |         Message Length        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                         Magic Cookie                          |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                     Transaction ID (96 bits)                  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// StunMessageView parses without copying: it keeps spans into the caller's
// buffer, so it is valid only while that buffer is. StunMessageBuilder
// serialises, computing MESSAGE-INTEGRITY and FINGERPRINT last.
#ifndef RTCSIM_STACK_STUN_STUN_MESSAGE_H_
#define RTCSIM_STACK_STUN_STUN_MESSAGE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "stack/env/random.h"
#include "stack/env/socket_address.h"

namespace rtcsim::stun {

inline constexpr uint32_t kMagicCookie = 0x2112A442;
inline constexpr size_t kHeaderSize = 20;
// XOR'ed into FINGERPRINT's CRC-32 (RFC 8489 §14.7).
inline constexpr uint32_t kFingerprintXor = 0x5354554E;

enum class StunClass : uint8_t {
  kRequest = 0,
  kIndication = 1,
  kSuccessResponse = 2,
  kErrorResponse = 3,
};

// RFC 8489 §18.2 and RFC 8656 §17.
enum class StunMethod : uint16_t {
  kBinding = 0x001,
  kAllocate = 0x003,
  kRefresh = 0x004,
  kSend = 0x006,
  kData = 0x007,
  kCreatePermission = 0x008,
  kChannelBind = 0x009,
};

std::string ToString(StunClass c);
std::string ToString(StunMethod m);

// Attribute types. Types below 0x8000 are comprehension-required: a receiver
// that does not know one must reject the request with 420 (RFC 8489 §14).
namespace attr {
inline constexpr uint16_t kMappedAddress = 0x0001;
inline constexpr uint16_t kChangeRequest = 0x0003;  // RFC 5780 §7.2
inline constexpr uint16_t kUsername = 0x0006;
inline constexpr uint16_t kMessageIntegrity = 0x0008;
inline constexpr uint16_t kErrorCode = 0x0009;
inline constexpr uint16_t kUnknownAttributes = 0x000A;
inline constexpr uint16_t kChannelNumber = 0x000C;   // RFC 8656
inline constexpr uint16_t kLifetime = 0x000D;        // RFC 8656
inline constexpr uint16_t kXorPeerAddress = 0x0012;  // RFC 8656
inline constexpr uint16_t kData = 0x0013;            // RFC 8656
inline constexpr uint16_t kRealm = 0x0014;
inline constexpr uint16_t kNonce = 0x0015;
inline constexpr uint16_t kXorRelayedAddress = 0x0016;       // RFC 8656
inline constexpr uint16_t kRequestedAddressFamily = 0x0017;  // RFC 8656
inline constexpr uint16_t kEvenPort = 0x0018;                // RFC 8656
inline constexpr uint16_t kRequestedTransport = 0x0019;      // RFC 8656
inline constexpr uint16_t kDontFragment = 0x001A;            // RFC 8656
inline constexpr uint16_t kMessageIntegritySha256 = 0x001C;
inline constexpr uint16_t kPasswordAlgorithm = 0x001D;
inline constexpr uint16_t kUserhash = 0x001E;
inline constexpr uint16_t kXorMappedAddress = 0x0020;
inline constexpr uint16_t kReservationToken = 0x0022;  // RFC 8656
inline constexpr uint16_t kPriority = 0x0024;          // RFC 8445
inline constexpr uint16_t kUseCandidate = 0x0025;      // RFC 8445
inline constexpr uint16_t kPadding = 0x0026;           // RFC 5780
inline constexpr uint16_t kResponsePort = 0x0027;      // RFC 5780
// Comprehension-optional from here on.
inline constexpr uint16_t kAdditionalAddressFamily = 0x8000;  // RFC 8656
inline constexpr uint16_t kAddressErrorCode = 0x8001;         // RFC 8656
inline constexpr uint16_t kPasswordAlgorithms = 0x8002;
inline constexpr uint16_t kAlternateDomain = 0x8003;
inline constexpr uint16_t kIcmp = 0x8004;  // RFC 8656
inline constexpr uint16_t kSoftware = 0x8022;
inline constexpr uint16_t kAlternateServer = 0x8023;
inline constexpr uint16_t kFingerprint = 0x8028;
inline constexpr uint16_t kIceControlled = 0x8029;   // RFC 8445
inline constexpr uint16_t kIceControlling = 0x802A;  // RFC 8445
inline constexpr uint16_t kResponseOrigin = 0x802B;  // RFC 5780
inline constexpr uint16_t kOtherAddress = 0x802C;    // RFC 5780
}  // namespace attr

// Whether this codec knows `type` (so it is not "unknown" for §14).
bool IsKnownAttribute(uint16_t type);
std::string AttributeName(uint16_t type);  // "XOR-MAPPED-ADDRESS", or "0x1234".

// Error codes used by STUN, TURN and ICE.
namespace error {
inline constexpr int kTryAlternate = 300;
inline constexpr int kBadRequest = 400;
inline constexpr int kUnauthorized = 401;
inline constexpr int kForbidden = 403;
inline constexpr int kUnknownAttribute = 420;
inline constexpr int kAllocationMismatch = 437;
inline constexpr int kStaleNonce = 438;
inline constexpr int kAddressFamilyNotSupported = 440;
inline constexpr int kWrongCredentials = 441;
inline constexpr int kUnsupportedTransportProtocol = 442;
inline constexpr int kPeerAddressFamilyMismatch = 443;
inline constexpr int kAllocationQuotaReached = 486;
inline constexpr int kRoleConflict = 487;
inline constexpr int kServerError = 500;
inline constexpr int kInsufficientCapacity = 508;
}  // namespace error

using TransactionId = std::array<uint8_t, 12>;
TransactionId NewTransactionId(Random& random);
std::string ToHex(const TransactionId& id);

struct ErrorCode {
  int code = 0;  // 300..699
  std::string reason;
};

// One attribute as found on the wire; `value` excludes padding.
struct RawAttribute {
  uint16_t type = 0;
  absl::Span<const uint8_t> value;
  size_t offset = 0;  // of the attribute header within the message
};

enum class IntegrityResult {
  kAbsent,  // neither MESSAGE-INTEGRITY nor MESSAGE-INTEGRITY-SHA256
  kOk,
  kMismatch,
};

// Short-term credential key: the password itself (RFC 8489 §9.1.1).
std::vector<uint8_t> ShortTermKey(absl::string_view password);
// Long-term credential key: MD5(username ":" realm ":" password)
// (RFC 8489 §9.2.2, MD5 algorithm; inputs are taken as already SASLprep'ed).
std::vector<uint8_t> LongTermKey(absl::string_view username, absl::string_view realm,
                                 absl::string_view password);

// RFC 7983 §7: a STUN message starts with a byte in 0..3 and carries the
// magic cookie. Cheap; use it to demultiplex before Parse.
bool LooksLikeStun(absl::Span<const uint8_t> packet);

class StunMessageView {
 public:
  // Validates the header (top two bits zero, magic cookie, length a multiple
  // of 4 that matches the buffer exactly) and walks every attribute with
  // bounds checks. Enforces §14.5/§14.7 ordering: after MESSAGE-INTEGRITY
  // only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT may follow, nothing after
  // FINGERPRINT; FINGERPRINT, if present, must verify. Errors say which
  // field at which offset is wrong: InvalidArgument for malformed input,
  // OutOfRange for truncated input.
  static absl::StatusOr<StunMessageView> Parse(absl::Span<const uint8_t> data);

  StunMethod method() const { return method_; }
  uint16_t method_bits() const { return method_bits_; }  // unknown methods too
  StunClass message_class() const { return class_; }
  const TransactionId& transaction_id() const { return transaction_id_; }
  absl::Span<const uint8_t> data() const { return data_; }
  const std::vector<RawAttribute>& attributes() const { return attributes_; }

  // First attribute of `type`, or nullptr.
  const RawAttribute* Find(uint16_t type) const;
  bool Has(uint16_t type) const { return Find(type) != nullptr; }

  // Typed getters. NotFound when absent, InvalidArgument (naming the
  // attribute) when present but malformed.
  absl::StatusOr<SocketAddress> GetAddress(uint16_t type) const;     // MAPPED-ADDRESS style
  absl::StatusOr<SocketAddress> GetXorAddress(uint16_t type) const;  // XOR-*-ADDRESS
  absl::StatusOr<std::string> GetString(uint16_t type) const;
  absl::StatusOr<uint32_t> GetUint32(uint16_t type) const;
  absl::StatusOr<uint64_t> GetUint64(uint16_t type) const;
  absl::StatusOr<ErrorCode> GetErrorCode() const;
  absl::StatusOr<std::vector<uint16_t>> GetUnknownAttributes() const;
  // CHANNEL-NUMBER (RFC 8656 §18.1): the upper 16 bits.
  absl::StatusOr<uint16_t> GetChannelNumber() const;
  // REQUESTED-TRANSPORT (RFC 8656 §18.7): the protocol number (17 = UDP).
  absl::StatusOr<uint8_t> GetRequestedTransport() const;

  // Comprehension-required attribute types this codec does not know, in
  // order of appearance; a server answers a request that has any with 420
  // listing them (RFC 8489 §14).
  std::vector<uint16_t> UnknownComprehensionRequired() const;

  // Verifies MESSAGE-INTEGRITY-SHA256 if present, else MESSAGE-INTEGRITY,
  // with `key` (RFC 8489 §14.5, §14.6).
  IntegrityResult CheckIntegrity(absl::Span<const uint8_t> key) const;
  bool has_fingerprint() const { return Has(attr::kFingerprint); }

  std::string ToString() const;  // "Binding SuccessResponse tid=... [XOR-MAPPED-ADDRESS, ...]"

 private:
  StunMessageView() = default;

  absl::Span<const uint8_t> data_;
  uint16_t method_bits_ = 0;
  StunMethod method_ = StunMethod::kBinding;
  StunClass class_ = StunClass::kRequest;
  TransactionId transaction_id_{};
  std::vector<RawAttribute> attributes_;
};

class StunMessageBuilder {
 public:
  StunMessageBuilder(StunMethod method, StunClass message_class, const TransactionId& id);

  StunMessageBuilder& AddAddress(uint16_t type, const SocketAddress& address);
  StunMessageBuilder& AddXorAddress(uint16_t type, const SocketAddress& address);
  StunMessageBuilder& AddString(uint16_t type, absl::string_view value);
  StunMessageBuilder& AddBytes(uint16_t type, absl::Span<const uint8_t> value);
  StunMessageBuilder& AddUint32(uint16_t type, uint32_t value);
  StunMessageBuilder& AddUint64(uint16_t type, uint64_t value);
  StunMessageBuilder& AddFlag(uint16_t type);  // zero-length, e.g. USE-CANDIDATE
  StunMessageBuilder& AddErrorCode(int code, absl::string_view reason);
  StunMessageBuilder& AddUnknownAttributes(absl::Span<const uint16_t> types);
  StunMessageBuilder& AddChannelNumber(uint16_t channel);
  StunMessageBuilder& AddRequestedTransport(uint8_t protocol);

  // Appends MESSAGE-INTEGRITY (HMAC-SHA1) over everything so far, with the
  // header length covering it (RFC 8489 §14.5).
  StunMessageBuilder& AddMessageIntegrity(absl::Span<const uint8_t> key);
  StunMessageBuilder& AddMessageIntegritySha256(absl::Span<const uint8_t> key);
  // The same, keeping only the first `truncated_size` bytes of the HMAC
  // (16..32, a multiple of 4), for usages that allow truncation (§14.6).
  StunMessageBuilder& AddMessageIntegritySha256(absl::Span<const uint8_t> key,
                                                size_t truncated_size);
  // Appends FINGERPRINT (§14.7); call last.
  StunMessageBuilder& AddFingerprint();

  // The byte that pads attribute values to a multiple of 4 (default 0).
  // Receivers ignore padding (§14); RFC 5769's vectors pad with 0x20, so
  // reproducing them byte for byte needs this.
  StunMessageBuilder& set_padding_byte(uint8_t b) {
    padding_byte_ = b;
    return *this;
  }

  const std::vector<uint8_t>& bytes() const { return bytes_; }
  std::vector<uint8_t> Finish() && { return std::move(bytes_); }

 private:
  void AppendAttribute(uint16_t type, absl::Span<const uint8_t> value);
  void SetLength(size_t body_length);
  void AppendIntegrity(uint16_t type, const char* digest, absl::Span<const uint8_t> key,
                       size_t mac_size);

  std::vector<uint8_t> bytes_;
  uint8_t padding_byte_ = 0;
};

// Builds the usual error response to `request`: same method and transaction
// id, ERROR-CODE, and for 420 the UNKNOWN-ATTRIBUTES list.
StunMessageBuilder MakeErrorResponse(const StunMessageView& request, int code,
                                     absl::string_view reason);

}  // namespace rtcsim::stun

#endif  // RTCSIM_STACK_STUN_STUN_MESSAGE_H_
