// RTP data packets: the fixed header of RFC 3550 §5.1 and the header
// extensions of RFC 8285.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                           timestamp                           |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |           synchronization source (SSRC) identifier            |
//   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
//   |            contributing source (CSRC) identifiers             |
//   |                             ....                              |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |      defined by profile       |           length              |  if X
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                        header extension                       |
//   |                             ....                              |
//
// RtpPacketView parses without copying: it keeps spans into the caller's
// buffer and is valid only while that buffer is. RtpPacketBuilder
// serialises a packet, choosing the RFC 8285 extension form itself.
#ifndef RTCSIM_STACK_RTP_RTP_PACKET_H_
#define RTCSIM_STACK_RTP_RTP_PACKET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "stack/rtp/seq_num.h"

namespace rtcsim::rtp {

inline constexpr uint8_t kRtpVersion = 2;
inline constexpr size_t kRtpFixedHeaderSize = 12;
inline constexpr size_t kMaxCsrcs = 15;  // the 4-bit CC field
inline constexpr uint8_t kMaxPayloadType = 127;
// RFC 8285 §4.2: "defined by profile" value of the one-byte form.
inline constexpr uint16_t kOneByteExtensionProfile = 0xBEDE;
// RFC 8285 §4.3: the two-byte form is 0x100 in the top 12 bits, then 4
// application bits.
inline constexpr uint16_t kTwoByteExtensionProfile = 0x1000;
inline constexpr uint16_t kTwoByteExtensionProfileMask = 0xFFF0;

// Which RFC 8285 form the header extension uses, if any.
enum class ExtensionForm : uint8_t {
  kNone,     // X bit clear
  kOneByte,  // 0xBEDE
  kTwoByte,  // 0x100 + appbits
  kOther,    // another profile's extension: kept raw, elements not parsed
};
std::string ToString(ExtensionForm form);

// One RFC 8285 extension element as found on the wire.
struct HeaderExtension {
  uint8_t id = 0;  // 1..14 (one-byte form) or 1..255 (two-byte form)
  absl::Span<const uint8_t> data;
  size_t offset = 0;  // of the element's ID byte within the packet
};

class RtpPacketView {
 public:
  // Parses a whole RTP packet: fixed header (version must be 2), CSRC list,
  // header extension (elements parsed for the RFC 8285 forms) and, if the P
  // bit is set, the padding count in the last octet, which must be at least
  // 1 and fit in what follows the header (RFC 3550 §5.1). Errors name the
  // field and offset: OutOfRange when the packet is too short for what its
  // header announces, InvalidArgument when a field is malformed.
  static absl::StatusOr<RtpPacketView> Parse(absl::Span<const uint8_t> packet);

  // Parses the header and header extension only; payload() is everything
  // after them and the padding count is not read. For SRTP, where the last
  // octet of the packet is part of the authentication tag and the payload is
  // still encrypted (RFC 3711 §3.1), but the header is in the clear.
  static absl::StatusOr<RtpPacketView> ParseHeader(absl::Span<const uint8_t> packet);

  bool has_padding() const { return has_padding_; }  // the P bit
  bool marker() const { return marker_; }
  uint8_t payload_type() const { return payload_type_; }
  SeqNum sequence_number() const { return sequence_number_; }
  uint32_t timestamp() const { return timestamp_; }
  uint32_t ssrc() const { return ssrc_; }

  size_t csrc_count() const { return csrc_count_; }
  uint32_t csrc(size_t i) const;  // i < csrc_count()
  std::vector<uint32_t> csrcs() const;

  ExtensionForm extension_form() const { return extension_form_; }
  // The "defined by profile" field; 0 when there is no extension.
  uint16_t extension_profile() const { return extension_profile_; }
  // The two-byte form's 4 application bits (RFC 8285 §4.3); 0 otherwise.
  uint8_t extension_appbits() const {
    return extension_form_ == ExtensionForm::kTwoByte ? extension_profile_ & 0x0F : 0;
  }
  // The extension body after its 4-byte header (a multiple of 4 bytes).
  absl::Span<const uint8_t> extension_data() const { return extension_data_; }
  // The elements, in wire order, padding skipped. Empty for kNone/kOther.
  absl::Span<const HeaderExtension> extensions() const { return extensions_; }
  // True when parsing stopped before the end of the extension block, at a
  // one-byte ID 15 or an ID 0 with a non-zero length (RFC 8285 §4.2,
  // §4.1.2); the elements before it are kept.
  bool extensions_stopped_early() const { return extensions_stopped_early_; }
  // The first element with `id`, or nullptr.
  const HeaderExtension* FindExtension(uint8_t id) const;

  // Fixed header + CSRCs + header extension.
  size_t header_size() const { return header_size_; }
  absl::Span<const uint8_t> payload() const { return payload_; }
  // Padding octets, including the count octet itself; 0 without the P bit
  // (and always 0 from ParseHeader).
  size_t padding_size() const { return padding_size_; }
  absl::Span<const uint8_t> data() const { return data_; }

  // "RTP pt=111 seq=5 ts=960 ssrc=0x1234ABCD M csrc=[...] ext=one-byte{1:3B} payload=160B pad=4B"
  std::string ToString() const;

 private:
  RtpPacketView() = default;
  static absl::StatusOr<RtpPacketView> ParseImpl(absl::Span<const uint8_t> packet,
                                                 bool read_padding);
  absl::Status ParseExtensionElements();

  absl::Span<const uint8_t> data_;
  bool has_padding_ = false;
  bool marker_ = false;
  uint8_t payload_type_ = 0;
  SeqNum sequence_number_;
  uint32_t timestamp_ = 0;
  uint32_t ssrc_ = 0;
  size_t csrc_count_ = 0;
  ExtensionForm extension_form_ = ExtensionForm::kNone;
  uint16_t extension_profile_ = 0;
  size_t extension_data_offset_ = 0;
  absl::Span<const uint8_t> extension_data_;
  absl::InlinedVector<HeaderExtension, 8> extensions_;
  bool extensions_stopped_early_ = false;
  size_t header_size_ = 0;
  absl::Span<const uint8_t> payload_;
  size_t padding_size_ = 0;
};

// Serialises an RTP packet. Extension data is copied into the builder; the
// payload is referenced and must outlive SerializeTo/Build.
class RtpPacketBuilder {
 public:
  // How to lay out the extension elements (RFC 8285 §4.1.2).
  enum class ExtensionMode {
    // One-byte form if every id is 1..14 and every length 1..16, else
    // two-byte: "Transmitters SHOULD NOT use the two-byte header form when
    // all extensions are small enough for the one-byte header form."
    kAuto,
    kOneByte,  // fails if an element does not fit it
    kTwoByte,
  };

  RtpPacketBuilder() = default;
  // Copies every field of `view` (elements, or the raw extension of another
  // profile; the payload is referenced). The extension mode is the view's
  // form, so re-serialising keeps it.
  static RtpPacketBuilder FromView(const RtpPacketView& view);

  RtpPacketBuilder& set_marker(bool marker) {
    marker_ = marker;
    return *this;
  }
  RtpPacketBuilder& set_payload_type(uint8_t pt) {
    payload_type_ = pt;
    return *this;
  }
  RtpPacketBuilder& set_sequence_number(SeqNum seq) {
    sequence_number_ = seq;
    return *this;
  }
  RtpPacketBuilder& set_timestamp(uint32_t ts) {
    timestamp_ = ts;
    return *this;
  }
  RtpPacketBuilder& set_ssrc(uint32_t ssrc) {
    ssrc_ = ssrc;
    return *this;
  }
  RtpPacketBuilder& add_csrc(uint32_t csrc) {
    csrcs_.push_back(csrc);
    return *this;
  }
  // Appends an RFC 8285 element. Ids and lengths are checked at
  // serialisation against the chosen form.
  RtpPacketBuilder& AddExtension(uint8_t id, absl::Span<const uint8_t> data);
  RtpPacketBuilder& set_extension_mode(ExtensionMode mode) {
    extension_mode_ = mode;
    return *this;
  }
  // The two-byte form's application bits (0..15); RFC 8285 §4.3 says to
  // send zeros unless they were signalled.
  RtpPacketBuilder& set_extension_appbits(uint8_t appbits) {
    appbits_ = appbits;
    return *this;
  }
  // An extension of some other profile, sent as is (`data` a multiple of 4
  // bytes). Exclusive with AddExtension.
  RtpPacketBuilder& SetRawExtension(uint16_t profile, absl::Span<const uint8_t> data);
  RtpPacketBuilder& set_payload(absl::Span<const uint8_t> payload) {
    payload_ = payload;
    return *this;
  }
  // Padding octets to append, count octet included (1..255); 0 for none.
  RtpPacketBuilder& set_padding_size(size_t size) {
    padding_size_ = size;
    return *this;
  }

  // The form SerializeTo will use (kNone without extensions). InvalidArgument
  // if the elements cannot be sent in the requested mode.
  absl::StatusOr<ExtensionForm> ChooseExtensionForm() const;

  // Appends the packet to `out`. InvalidArgument, naming the field, for a
  // value that cannot be encoded (payload type > 127, more than 15 CSRCs, an
  // element id or length outside its form's range, padding > 255, ...);
  // `out` is unchanged then.
  absl::Status SerializeTo(std::vector<uint8_t>& out) const;
  absl::StatusOr<std::vector<uint8_t>> Build() const;

 private:
  struct Element {
    uint8_t id;
    std::vector<uint8_t> data;
  };

  bool marker_ = false;
  uint8_t payload_type_ = 0;
  SeqNum sequence_number_;
  uint32_t timestamp_ = 0;
  uint32_t ssrc_ = 0;
  std::vector<uint32_t> csrcs_;
  std::vector<Element> elements_;
  ExtensionMode extension_mode_ = ExtensionMode::kAuto;
  uint8_t appbits_ = 0;
  bool has_raw_extension_ = false;
  uint16_t raw_profile_ = 0;
  std::vector<uint8_t> raw_extension_;
  absl::Span<const uint8_t> payload_;
  size_t padding_size_ = 0;
};

}  // namespace rtcsim::rtp

#endif  // RTCSIM_STACK_RTP_RTP_PACKET_H_
