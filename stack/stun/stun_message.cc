// STUN message codec, RFC 8489 §5 (header), §14 (attributes), §14.5–14.7
// (integrity and fingerprint); TURN attributes from RFC 8656 §18, ICE ones
// from RFC 8445 §16.1.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |         Type                  |            Length             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                         Value (variable)                ....
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                     RFC 8489 §14: attribute TLV
#include "stack/stun/stun_message.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "stack/env/status_macros.h"

namespace rtcsim::stun {
namespace {

constexpr size_t kAttributeHeaderSize = 4;
constexpr size_t kSha1Size = 20;
constexpr size_t kSha256Size = 32;
// RFC 8489 §14.6: a truncated MESSAGE-INTEGRITY-SHA256 keeps at least 16
// bytes, in multiples of 4.
constexpr size_t kMinSha256Size = 16;
constexpr size_t kMaxBodyLength = 0xFFFF;

constexpr uint8_t kFamilyV4 = 0x01;  // RFC 8489 §14.1
constexpr uint8_t kFamilyV6 = 0x02;

uint16_t ReadU16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t ReadU32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
void PutU16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void PutU32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
size_t Padded(size_t n) { return (n + 3) & ~size_t{3}; }

// "0x0020 (XOR-MAPPED-ADDRESS)", or just "0x7F01" for an unknown type, so
// error messages carry both the wire value and the name.
std::string Describe(uint16_t type) {
  std::string hex = absl::StrFormat("0x%04X", type);
  if (!IsKnownAttribute(type)) return hex;
  return absl::StrCat(hex, " (", AttributeName(type), ")");
}

// CRC-32 of ITU V.42 / RFC 1952 §8 (reflected polynomial 0xEDB88320), as
// RFC 8489 §14.7 requires. The table is built at compile time.
constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t n = 0; n < 256; ++n) {
    uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

uint32_t Crc32(absl::Span<const uint8_t> data) {
  uint32_t c = 0xFFFFFFFFu;
  for (uint8_t b : data) c = kCrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

// The message-type field interleaves the class bits C1 C0 into the method
// (RFC 8489 §5, Figure 3): M11..M7 C1 M6..M4 C0 M3..M0.
uint16_t EncodeType(uint16_t method, StunClass c) {
  const uint16_t cls = static_cast<uint16_t>(c);
  return static_cast<uint16_t>((method & 0x000F) | ((method & 0x0070) << 1) |
                               ((method & 0x0F80) << 2) | ((cls & 0x1) << 4) | ((cls & 0x2) << 7));
}

// HMAC over a STUN message prefix whose header Length field is replaced by
// `adjusted_length` (RFC 8489 §14.5/§14.6: the length must point to the end
// of the integrity attribute, whatever follows it). The header is fed
// separately so the caller's buffer is never copied or modified. Returns the
// MAC size, or 0 on an OpenSSL failure (which the callers treat as a
// mismatch on receive and as a broken invariant on send).
size_t ComputeHmac(const char* digest, absl::Span<const uint8_t> key,
                   absl::Span<const uint8_t> prefix, uint16_t adjusted_length,
                   uint8_t out[EVP_MAX_MD_SIZE]) {
  if (prefix.size() < kHeaderSize) return 0;
  // Fetched once: the fetch is a provider lookup, far costlier than the MAC.
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return 0;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  if (ctx == nullptr) return 0;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string("digest", const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_end(),
  };
  uint8_t header[kHeaderSize];
  std::memcpy(header, prefix.data(), kHeaderSize);
  PutU16(header + 2, adjusted_length);
  // OpenSSL rejects a null key pointer even for an empty key.
  static const uint8_t kEmpty = 0;
  size_t out_len = 0;
  const bool ok =
      EVP_MAC_init(ctx, key.empty() ? &kEmpty : key.data(), key.size(), params) == 1 &&
      EVP_MAC_update(ctx, header, kHeaderSize) == 1 &&
      EVP_MAC_update(ctx, prefix.data() + kHeaderSize, prefix.size() - kHeaderSize) == 1 &&
      EVP_MAC_final(ctx, out, &out_len, EVP_MAX_MD_SIZE) == 1;
  EVP_MAC_CTX_free(ctx);
  return ok ? out_len : 0;
}

absl::Status AttrError(const RawAttribute& a, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("STUN attribute ", Describe(a.type), " at offset ", a.offset, ": ", what));
}

}  // namespace

std::string ToString(StunClass c) {
  switch (c) {
    case StunClass::kRequest:
      return "Request";
    case StunClass::kIndication:
      return "Indication";
    case StunClass::kSuccessResponse:
      return "SuccessResponse";
    case StunClass::kErrorResponse:
      return "ErrorResponse";
  }
  return absl::StrCat("Class(", static_cast<int>(c), ")");
}

std::string ToString(StunMethod m) {
  switch (m) {
    case StunMethod::kBinding:
      return "Binding";
    case StunMethod::kAllocate:
      return "Allocate";
    case StunMethod::kRefresh:
      return "Refresh";
    case StunMethod::kSend:
      return "Send";
    case StunMethod::kData:
      return "Data";
    case StunMethod::kCreatePermission:
      return "CreatePermission";
    case StunMethod::kChannelBind:
      return "ChannelBind";
  }
  return absl::StrFormat("Method(0x%03X)", static_cast<uint16_t>(m));
}

namespace {

struct AttributeInfo {
  uint16_t type;
  const char* name;
};

// Every attribute this codec knows. Sorted by type for the binary search.
constexpr AttributeInfo kAttributes[] = {
    {attr::kMappedAddress, "MAPPED-ADDRESS"},
    {attr::kChangeRequest, "CHANGE-REQUEST"},
    {attr::kUsername, "USERNAME"},
    {attr::kMessageIntegrity, "MESSAGE-INTEGRITY"},
    {attr::kErrorCode, "ERROR-CODE"},
    {attr::kUnknownAttributes, "UNKNOWN-ATTRIBUTES"},
    {attr::kChannelNumber, "CHANNEL-NUMBER"},
    {attr::kLifetime, "LIFETIME"},
    {attr::kXorPeerAddress, "XOR-PEER-ADDRESS"},
    {attr::kData, "DATA"},
    {attr::kRealm, "REALM"},
    {attr::kNonce, "NONCE"},
    {attr::kXorRelayedAddress, "XOR-RELAYED-ADDRESS"},
    {attr::kRequestedAddressFamily, "REQUESTED-ADDRESS-FAMILY"},
    {attr::kEvenPort, "EVEN-PORT"},
    {attr::kRequestedTransport, "REQUESTED-TRANSPORT"},
    {attr::kDontFragment, "DONT-FRAGMENT"},
    {attr::kMessageIntegritySha256, "MESSAGE-INTEGRITY-SHA256"},
    {attr::kPasswordAlgorithm, "PASSWORD-ALGORITHM"},
    {attr::kUserhash, "USERHASH"},
    {attr::kXorMappedAddress, "XOR-MAPPED-ADDRESS"},
    {attr::kReservationToken, "RESERVATION-TOKEN"},
    {attr::kPriority, "PRIORITY"},
    {attr::kUseCandidate, "USE-CANDIDATE"},
    {attr::kPadding, "PADDING"},
    {attr::kResponsePort, "RESPONSE-PORT"},
    {attr::kAdditionalAddressFamily, "ADDITIONAL-ADDRESS-FAMILY"},
    {attr::kAddressErrorCode, "ADDRESS-ERROR-CODE"},
    {attr::kPasswordAlgorithms, "PASSWORD-ALGORITHMS"},
    {attr::kAlternateDomain, "ALTERNATE-DOMAIN"},
    {attr::kIcmp, "ICMP"},
    {attr::kSoftware, "SOFTWARE"},
    {attr::kAlternateServer, "ALTERNATE-SERVER"},
    {attr::kFingerprint, "FINGERPRINT"},
    {attr::kIceControlled, "ICE-CONTROLLED"},
    {attr::kIceControlling, "ICE-CONTROLLING"},
    {attr::kResponseOrigin, "RESPONSE-ORIGIN"},
    {attr::kOtherAddress, "OTHER-ADDRESS"},
};

const AttributeInfo* FindInfo(uint16_t type) {
  auto it = std::lower_bound(std::begin(kAttributes), std::end(kAttributes), type,
                             [](const AttributeInfo& i, uint16_t t) { return i.type < t; });
  return it != std::end(kAttributes) && it->type == type ? it : nullptr;
}

}  // namespace

bool IsKnownAttribute(uint16_t type) { return FindInfo(type) != nullptr; }

std::string AttributeName(uint16_t type) {
  const AttributeInfo* info = FindInfo(type);
  return info != nullptr ? info->name : absl::StrFormat("0x%04X", type);
}

TransactionId NewTransactionId(Random& random) {
  // RFC 8489 §5: uniformly random over 96 bits. The Random stream comes from
  // the Env, so simulated runs repeat.
  TransactionId id;
  const uint64_t a = random.Next64();
  const uint64_t b = random.Next64();
  for (int i = 0; i < 8; ++i) id[i] = static_cast<uint8_t>(a >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i) id[8 + i] = static_cast<uint8_t>(b >> (56 - 8 * i));
  return id;
}

std::string ToHex(const TransactionId& id) {
  std::string out;
  out.reserve(24);
  for (uint8_t b : id) absl::StrAppendFormat(&out, "%02x", b);
  return out;
}

std::vector<uint8_t> ShortTermKey(absl::string_view password) {
  // RFC 8489 §9.1.1: key = OpaqueString(password); callers pass it already
  // prepared.
  return std::vector<uint8_t>(password.begin(), password.end());
}

std::vector<uint8_t> LongTermKey(absl::string_view username, absl::string_view realm,
                                 absl::string_view password) {
  // RFC 8489 §9.2.2, MD5 algorithm: key = MD5(username ":" realm ":" password).
  const std::string input = absl::StrCat(username, ":", realm, ":", password);
  std::vector<uint8_t> key(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  const int ok = EVP_Digest(input.data(), input.size(), key.data(), &len, EVP_md5(), nullptr);
  ABSL_RAW_CHECK(ok == 1, "OpenSSL MD5 failed");
  key.resize(len);
  return key;
}

bool LooksLikeStun(absl::Span<const uint8_t> packet) {
  // RFC 7983 §7: first byte 0..3; RFC 8489 §5: magic cookie at offset 4 and
  // a length that is a multiple of 4.
  return packet.size() >= kHeaderSize && packet[0] <= 3 && ReadU32(&packet[4]) == kMagicCookie &&
         (ReadU16(&packet[2]) & 3) == 0;
}

// ---------------------------------------------------------------------------
// StunMessageView

absl::StatusOr<StunMessageView> StunMessageView::Parse(absl::Span<const uint8_t> data) {
  // RFC 8489 §5 and §6.3: the header checks, in the order the RFC lists them.
  if (data.size() < kHeaderSize) {
    return absl::OutOfRangeError(
        absl::StrCat("STUN message of ", data.size(), " bytes is shorter than the 20-byte header"));
  }
  const uint16_t type = ReadU16(&data[0]);
  if ((type & 0xC000) != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("STUN header at offset 0: the top two bits of the message type 0x%04X "
                        "must be zero",
                        type));
  }
  const uint32_t cookie = ReadU32(&data[4]);
  if (cookie != kMagicCookie) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "STUN header at offset 4: magic cookie 0x%08X, expected 0x%08X", cookie, kMagicCookie));
  }
  const size_t length = ReadU16(&data[2]);
  if (length % 4 != 0) {
    return absl::InvalidArgumentError(absl::StrCat("STUN header at offset 2: message length ",
                                                   length, " is not a multiple of 4"));
  }
  if (kHeaderSize + length > data.size()) {
    return absl::OutOfRangeError(absl::StrCat(
        "STUN header at offset 2: message length ", length, " runs past the end of the ",
        data.size(), "-byte buffer (", data.size() - kHeaderSize, " bytes after the header)"));
  }
  if (kHeaderSize + length < data.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("STUN header at offset 2: message length ", length, " leaves ",
                     data.size() - kHeaderSize - length, " trailing bytes in the buffer"));
  }

  StunMessageView view;
  view.data_ = data;
  // Class bits C1 (bit 8) and C0 (bit 4); the rest is the method (§5).
  view.class_ = static_cast<StunClass>(((type >> 7) & 0x2) | ((type >> 4) & 0x1));
  view.method_bits_ =
      static_cast<uint16_t>((type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80));
  view.method_ = static_cast<StunMethod>(view.method_bits_);
  std::memcpy(view.transaction_id_.data(), &data[8], view.transaction_id_.size());

  bool seen_integrity = false;
  bool seen_integrity_sha256 = false;
  bool seen_fingerprint = false;
  size_t offset = kHeaderSize;
  while (offset < data.size()) {
    // The header length is a multiple of 4 and every attribute is padded to
    // 4, so at least 4 bytes remain here.
    RawAttribute a;
    a.type = ReadU16(&data[offset]);
    a.offset = offset;
    const size_t value_length = ReadU16(&data[offset + 2]);
    const size_t left = data.size() - offset - kAttributeHeaderSize;
    if (value_length > left) {
      return absl::OutOfRangeError(
          absl::StrCat("STUN attribute ", Describe(a.type), " at offset ", offset, ": length ",
                       value_length, " runs past end of message (", left, " bytes left)"));
    }
    a.value = data.subspan(offset + kAttributeHeaderSize, value_length);

    // RFC 8489 §14.7: FINGERPRINT is the last attribute. §14.5/§14.6: after
    // MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT may
    // follow, after MESSAGE-INTEGRITY-SHA256 only FINGERPRINT. The RFC has
    // receivers ignore such attributes; rejecting them instead keeps a
    // forged, unauthenticated attribute from ever reaching a caller that
    // forgets which ones were covered.
    if (seen_fingerprint) {
      return AttrError(a, "follows FINGERPRINT, which must be the last attribute");
    }
    if (seen_integrity_sha256 && a.type != attr::kFingerprint) {
      return AttrError(a, "follows MESSAGE-INTEGRITY-SHA256; only FINGERPRINT may");
    }
    if (seen_integrity && a.type != attr::kFingerprint && a.type != attr::kMessageIntegritySha256) {
      return AttrError(
          a, "follows MESSAGE-INTEGRITY; only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT may");
    }
    switch (a.type) {
      case attr::kMessageIntegrity:
        if (value_length != kSha1Size) {
          return AttrError(a, absl::StrCat("length ", value_length, ", expected 20"));
        }
        seen_integrity = true;
        break;
      case attr::kMessageIntegritySha256:
        if (value_length < kMinSha256Size || value_length > kSha256Size || value_length % 4 != 0) {
          return AttrError(
              a, absl::StrCat("length ", value_length, ", expected 16 to 32 in multiples of 4"));
        }
        seen_integrity_sha256 = true;
        break;
      case attr::kFingerprint:
        if (value_length != 4) {
          return AttrError(a, absl::StrCat("length ", value_length, ", expected 4"));
        }
        // The CRC is checked after the walk, so that an attribute wrongly
        // placed after FINGERPRINT is reported as such rather than as a bad
        // CRC.
        seen_fingerprint = true;
        break;
      default:
        break;
    }
    view.attributes_.push_back(a);
    offset += kAttributeHeaderSize + Padded(value_length);
  }
  if (seen_fingerprint) {
    // RFC 8489 §14.7. FINGERPRINT is last, so the Length field already ends
    // with it and the CRC runs over the buffer as it is.
    const RawAttribute& a = view.attributes_.back();
    const uint32_t expected = Crc32(data.first(a.offset)) ^ kFingerprintXor;
    const uint32_t got = ReadU32(a.value.data());
    if (got != expected) {
      return AttrError(
          a, absl::StrFormat("CRC 0x%08X does not match the computed 0x%08X", got, expected));
    }
  }
  return view;
}

const RawAttribute* StunMessageView::Find(uint16_t type) const {
  // RFC 8489 §14: when an attribute repeats, only the first one counts.
  for (const RawAttribute& a : attributes_) {
    if (a.type == type) return &a;
  }
  return nullptr;
}

namespace {

absl::StatusOr<const RawAttribute*> FindOrNotFound(const StunMessageView& m, uint16_t type) {
  const RawAttribute* a = m.Find(type);
  if (a == nullptr) {
    return absl::NotFoundError(absl::StrCat("STUN attribute ", Describe(type), " is absent"));
  }
  return a;
}

absl::Status ExpectLength(const RawAttribute& a, size_t expected) {
  if (a.value.size() != expected) {
    return AttrError(a, absl::StrCat("length ", a.value.size(), ", expected ", expected));
  }
  return absl::OkStatus();
}

// MAPPED-ADDRESS layout (RFC 8489 §14.1): a reserved byte, the family, the
// port and 4 or 16 address bytes. `xor_pad` (cookie + transaction id) is
// applied when the attribute is an XOR-*-ADDRESS (§14.2).
absl::StatusOr<SocketAddress> DecodeAddress(const RawAttribute& a, const uint8_t* xor_pad) {
  if (a.value.size() < 4) {
    return AttrError(a, absl::StrCat("length ", a.value.size(), " is too short for an address"));
  }
  const uint8_t family = a.value[1];
  uint16_t port = ReadU16(&a.value[2]);
  if (xor_pad != nullptr) port ^= ReadU16(xor_pad);
  if (family == kFamilyV4) {
    RETURN_IF_ERROR(ExpectLength(a, 8));
    uint32_t ip = ReadU32(&a.value[4]);
    if (xor_pad != nullptr) ip ^= ReadU32(xor_pad);
    return SocketAddress(IpAddress::V4(ip), port);
  }
  if (family == kFamilyV6) {
    RETURN_IF_ERROR(ExpectLength(a, 20));
    std::array<uint8_t, 16> ip;
    for (size_t i = 0; i < 16; ++i) {
      ip[i] = static_cast<uint8_t>(a.value[4 + i] ^ (xor_pad != nullptr ? xor_pad[i] : 0));
    }
    return SocketAddress(IpAddress::V6(ip), port);
  }
  return AttrError(a, absl::StrFormat("unknown address family 0x%02X", family));
}

}  // namespace

absl::StatusOr<SocketAddress> StunMessageView::GetAddress(uint16_t type) const {
  ASSIGN_OR_RETURN(const RawAttribute* a, FindOrNotFound(*this, type));
  return DecodeAddress(*a, nullptr);
}

absl::StatusOr<SocketAddress> StunMessageView::GetXorAddress(uint16_t type) const {
  ASSIGN_OR_RETURN(const RawAttribute* a, FindOrNotFound(*this, type));
  // RFC 8489 §14.2: the port XORs with the cookie's top 16 bits, IPv4 with
  // the cookie, IPv6 with the cookie followed by the transaction id — which
  // are exactly bytes 4..19 of the header.
  return DecodeAddress(*a, data_.data() + 4);
}

absl::StatusOr<std::string> StunMessageView::GetString(uint16_t type) const {
  ASSIGN_OR_RETURN(const RawAttribute* a, FindOrNotFound(*this, type));
  return std::string(a->value.begin(), a->value.end());
}

absl::StatusOr<uint32_t> StunMessageView::GetUint32(uint16_t type) const {
  ASSIGN_OR_RETURN(const RawAttribute* a, FindOrNotFound(*this, type));
  RETURN_IF_ERROR(ExpectLength(*a, 4));
  return ReadU32(a->value.data());
}

absl::StatusOr<uint64_t> StunMessageView::GetUint64(uint16_t type) const {
  ASSIGN_OR_RETURN(const RawAttribute* a, FindOrNotFound(*this, type));
  RETURN_IF_ERROR(ExpectLength(*a, 8));
  return (uint64_t{ReadU32(a->value.data())} << 32) | ReadU32(a->value.data() + 4);
}

absl::StatusOr<ErrorCode> StunMessageView::GetErrorCode() const {
  ASSIGN_OR_RETURN(const RawAttribute* a, FindOrNotFound(*this, attr::kErrorCode));
  // RFC 8489 §14.8: 21 reserved bits, Class (3 bits, 3..6), Number (0..99),
  // then a UTF-8 reason phrase.
  if (a->value.size() < 4) {
    return AttrError(*a, absl::StrCat("length ", a->value.size(), " is shorter than 4"));
  }
  const int cls = a->value[2] & 0x7;
  const int number = a->value[3];
  if (cls < 3 || cls > 6) return AttrError(*a, absl::StrCat("class ", cls, " is not in 3..6"));
  if (number > 99) return AttrError(*a, absl::StrCat("number ", number, " is not in 0..99"));
  ErrorCode ec;
  ec.code = cls * 100 + number;
  ec.reason.assign(a->value.begin() + 4, a->value.end());
  return ec;
}

absl::StatusOr<std::vector<uint16_t>> StunMessageView::GetUnknownAttributes() const {
  ASSIGN_OR_RETURN(const RawAttribute* a, FindOrNotFound(*this, attr::kUnknownAttributes));
  // RFC 8489 §14.9: a list of 16-bit types.
  if (a->value.size() % 2 != 0) {
    return AttrError(*a, absl::StrCat("length ", a->value.size(), " is odd"));
  }
  std::vector<uint16_t> types;
  types.reserve(a->value.size() / 2);
  for (size_t i = 0; i < a->value.size(); i += 2) types.push_back(ReadU16(&a->value[i]));
  return types;
}

absl::StatusOr<uint16_t> StunMessageView::GetChannelNumber() const {
  ASSIGN_OR_RETURN(const RawAttribute* a, FindOrNotFound(*this, attr::kChannelNumber));
  RETURN_IF_ERROR(ExpectLength(*a, 4));
  return ReadU16(a->value.data());
}

absl::StatusOr<uint8_t> StunMessageView::GetRequestedTransport() const {
  ASSIGN_OR_RETURN(const RawAttribute* a, FindOrNotFound(*this, attr::kRequestedTransport));
  RETURN_IF_ERROR(ExpectLength(*a, 4));
  return a->value[0];
}

std::vector<uint16_t> StunMessageView::UnknownComprehensionRequired() const {
  std::vector<uint16_t> unknown;
  for (const RawAttribute& a : attributes_) {
    // RFC 8489 §14: 0x0000–0x7FFF are comprehension-required. Listed once
    // each, in order of first appearance.
    if (a.type < 0x8000 && !IsKnownAttribute(a.type) &&
        std::find(unknown.begin(), unknown.end(), a.type) == unknown.end()) {
      unknown.push_back(a.type);
    }
  }
  return unknown;
}

IntegrityResult StunMessageView::CheckIntegrity(absl::Span<const uint8_t> key) const {
  // RFC 8489 §14.6 / §9.1.4: prefer the stronger MAC when both are present.
  const RawAttribute* a = Find(attr::kMessageIntegritySha256);
  const char* digest = "SHA256";
  if (a == nullptr) {
    a = Find(attr::kMessageIntegrity);
    digest = "SHA1";
  }
  if (a == nullptr) return IntegrityResult::kAbsent;
  // Parse() checked the lengths: 20, or 16..32 in multiples of 4.
  const size_t end = a->offset + kAttributeHeaderSize + a->value.size();
  uint8_t mac[EVP_MAX_MD_SIZE];
  const size_t mac_len = ComputeHmac(digest, key, data_.first(a->offset),
                                     static_cast<uint16_t>(end - kHeaderSize), mac);
  if (mac_len < a->value.size()) return IntegrityResult::kMismatch;
  // Constant time, so a forger learns nothing from response timing.
  return CRYPTO_memcmp(mac, a->value.data(), a->value.size()) == 0 ? IntegrityResult::kOk
                                                                   : IntegrityResult::kMismatch;
}

std::string StunMessageView::ToString() const {
  std::vector<std::string> names;
  names.reserve(attributes_.size());
  for (const RawAttribute& a : attributes_) names.push_back(AttributeName(a.type));
  return absl::StrCat(stun::ToString(method_), " ", stun::ToString(class_),
                      " tid=", ToHex(transaction_id_), " [", absl::StrJoin(names, ", "), "]");
}

// ---------------------------------------------------------------------------
// StunMessageBuilder

StunMessageBuilder::StunMessageBuilder(StunMethod method, StunClass message_class,
                                       const TransactionId& id) {
  bytes_.resize(kHeaderSize);
  PutU16(&bytes_[0], EncodeType(static_cast<uint16_t>(method), message_class));
  PutU32(&bytes_[4], kMagicCookie);
  std::memcpy(&bytes_[8], id.data(), id.size());
}

void StunMessageBuilder::SetLength(size_t body_length) {
  ABSL_RAW_CHECK(body_length <= kMaxBodyLength, "STUN message longer than 65535 bytes");
  PutU16(&bytes_[2], static_cast<uint16_t>(body_length));
}

void StunMessageBuilder::AppendAttribute(uint16_t type, absl::Span<const uint8_t> value) {
  ABSL_RAW_CHECK(value.size() <= kMaxBodyLength, "STUN attribute value longer than 65535 bytes");
  const size_t start = bytes_.size();
  bytes_.resize(start + kAttributeHeaderSize);
  PutU16(&bytes_[start], type);
  PutU16(&bytes_[start + 2], static_cast<uint16_t>(value.size()));
  bytes_.insert(bytes_.end(), value.begin(), value.end());
  // RFC 8489 §14: the value is padded to a multiple of 4; the padding's
  // content is arbitrary (RFC 5769 uses spaces) and ignored on receipt.
  bytes_.resize(kAttributeHeaderSize + start + Padded(value.size()), padding_byte_);
  SetLength(bytes_.size() - kHeaderSize);
}

StunMessageBuilder& StunMessageBuilder::AddAddress(uint16_t type, const SocketAddress& address) {
  ABSL_RAW_CHECK(address.ip().is_v4() || address.ip().is_v6(),
                 "STUN address attribute needs an IPv4 or IPv6 address");
  uint8_t v[20] = {0};
  v[1] = address.ip().is_v4() ? kFamilyV4 : kFamilyV6;
  PutU16(&v[2], address.port());
  std::memcpy(&v[4], address.ip().data(), address.ip().size());
  AppendAttribute(type, absl::MakeConstSpan(v, 4 + address.ip().size()));
  return *this;
}

StunMessageBuilder& StunMessageBuilder::AddXorAddress(uint16_t type, const SocketAddress& address) {
  ABSL_RAW_CHECK(address.ip().is_v4() || address.ip().is_v6(),
                 "STUN address attribute needs an IPv4 or IPv6 address");
  // RFC 8489 §14.2: XOR with header bytes 4..19 (cookie, then transaction id).
  const uint8_t* pad = &bytes_[4];
  uint8_t v[20] = {0};
  v[1] = address.ip().is_v4() ? kFamilyV4 : kFamilyV6;
  PutU16(&v[2], static_cast<uint16_t>(address.port() ^ ReadU16(pad)));
  for (size_t i = 0; i < address.ip().size(); ++i) {
    v[4 + i] = static_cast<uint8_t>(address.ip().data()[i] ^ pad[i]);
  }
  AppendAttribute(type, absl::MakeConstSpan(v, 4 + address.ip().size()));
  return *this;
}

StunMessageBuilder& StunMessageBuilder::AddString(uint16_t type, absl::string_view value) {
  AppendAttribute(
      type, absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(value.data()), value.size()));
  return *this;
}

StunMessageBuilder& StunMessageBuilder::AddBytes(uint16_t type, absl::Span<const uint8_t> value) {
  AppendAttribute(type, value);
  return *this;
}

StunMessageBuilder& StunMessageBuilder::AddUint32(uint16_t type, uint32_t value) {
  uint8_t v[4];
  PutU32(v, value);
  AppendAttribute(type, v);
  return *this;
}

StunMessageBuilder& StunMessageBuilder::AddUint64(uint16_t type, uint64_t value) {
  uint8_t v[8];
  PutU32(v, static_cast<uint32_t>(value >> 32));
  PutU32(v + 4, static_cast<uint32_t>(value));
  AppendAttribute(type, v);
  return *this;
}

StunMessageBuilder& StunMessageBuilder::AddFlag(uint16_t type) {
  AppendAttribute(type, {});
  return *this;
}

StunMessageBuilder& StunMessageBuilder::AddErrorCode(int code, absl::string_view reason) {
  ABSL_RAW_CHECK(code >= 300 && code <= 699, "STUN error code must be in 300..699");
  // RFC 8489 §14.8: Class = hundreds, Number = the rest.
  std::vector<uint8_t> v(4 + reason.size());
  v[2] = static_cast<uint8_t>(code / 100);
  v[3] = static_cast<uint8_t>(code % 100);
  std::memcpy(v.data() + 4, reason.data(), reason.size());
  AppendAttribute(attr::kErrorCode, v);
  return *this;
}

StunMessageBuilder& StunMessageBuilder::AddUnknownAttributes(absl::Span<const uint16_t> types) {
  std::vector<uint8_t> v(types.size() * 2);
  for (size_t i = 0; i < types.size(); ++i) PutU16(&v[2 * i], types[i]);
  AppendAttribute(attr::kUnknownAttributes, v);
  return *this;
}

StunMessageBuilder& StunMessageBuilder::AddChannelNumber(uint16_t channel) {
  // RFC 8656 §18.1: channel number, then 16 RFFU bits (zero).
  uint8_t v[4] = {0};
  PutU16(v, channel);
  AppendAttribute(attr::kChannelNumber, v);
  return *this;
}

StunMessageBuilder& StunMessageBuilder::AddRequestedTransport(uint8_t protocol) {
  // RFC 8656 §18.7: protocol number, then 24 RFFU bits (zero).
  uint8_t v[4] = {protocol, 0, 0, 0};
  AppendAttribute(attr::kRequestedTransport, v);
  return *this;
}

void StunMessageBuilder::AppendIntegrity(uint16_t type, const char* digest,
                                         absl::Span<const uint8_t> key, size_t mac_size) {
  // RFC 8489 §14.5/§14.6: the MAC covers everything so far, with the header
  // Length already counting the integrity attribute itself.
  const size_t body_with_mac = bytes_.size() - kHeaderSize + kAttributeHeaderSize + mac_size;
  ABSL_RAW_CHECK(body_with_mac <= kMaxBodyLength, "STUN message longer than 65535 bytes");
  uint8_t mac[EVP_MAX_MD_SIZE];
  const size_t mac_len =
      ComputeHmac(digest, key, bytes_, static_cast<uint16_t>(body_with_mac), mac);
  ABSL_RAW_CHECK(mac_len >= mac_size, "OpenSSL HMAC failed");
  AppendAttribute(type, absl::MakeConstSpan(mac, mac_size));
}

StunMessageBuilder& StunMessageBuilder::AddMessageIntegrity(absl::Span<const uint8_t> key) {
  AppendIntegrity(attr::kMessageIntegrity, "SHA1", key, kSha1Size);
  return *this;
}

StunMessageBuilder& StunMessageBuilder::AddMessageIntegritySha256(absl::Span<const uint8_t> key) {
  return AddMessageIntegritySha256(key, kSha256Size);
}

StunMessageBuilder& StunMessageBuilder::AddMessageIntegritySha256(absl::Span<const uint8_t> key,
                                                                  size_t truncated_size) {
  ABSL_RAW_CHECK(
      truncated_size >= kMinSha256Size && truncated_size <= kSha256Size && truncated_size % 4 == 0,
      "MESSAGE-INTEGRITY-SHA256 must be 16..32 bytes in multiples of 4");
  AppendIntegrity(attr::kMessageIntegritySha256, "SHA256", key, truncated_size);
  return *this;
}

StunMessageBuilder& StunMessageBuilder::AddFingerprint() {
  // RFC 8489 §14.7: the CRC covers the header with a Length that already
  // includes the 8-byte FINGERPRINT attribute.
  SetLength(bytes_.size() - kHeaderSize + kAttributeHeaderSize + 4);
  const uint32_t crc = Crc32(bytes_) ^ kFingerprintXor;
  uint8_t v[4];
  PutU32(v, crc);
  AppendAttribute(attr::kFingerprint, v);
  return *this;
}

StunMessageBuilder MakeErrorResponse(const StunMessageView& request, int code,
                                     absl::string_view reason) {
  // RFC 8489 §6.3.1.1: same method and transaction id; 420 lists the unknown
  // comprehension-required attributes.
  StunMessageBuilder b(request.method(), StunClass::kErrorResponse, request.transaction_id());
  b.AddErrorCode(code, reason);
  if (code == error::kUnknownAttribute) {
    b.AddUnknownAttributes(request.UnknownComprehensionRequired());
  }
  return b;
}

}  // namespace rtcsim::stun
