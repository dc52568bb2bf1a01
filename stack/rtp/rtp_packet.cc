// RTP fixed header, RFC 3550 §5.1 and §5.3.1 (header extension); extension
// elements, RFC 8285 §4.
//
//   One-byte form (RFC 8285 §4.2)          Two-byte form (RFC 8285 §4.3)
//   +-+-+-+-+-+-+-+-+                      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  ID   |  len  |  data: len+1 bytes   |       ID      |     length    |
//   +-+-+-+-+-+-+-+-+                      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   profile 0xBEDE, ID 1..14               profile 0x100x, ID 1..255,
//                                          data: length bytes (0..255)
//
// A zero byte between or after elements is padding in both forms.
#include "stack/rtp/rtp_packet.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "stack/env/status_macros.h"
#include "stack/rtp/byte_io.h"

namespace rtcsim::rtp {
namespace {

using internal::AppendU16;
using internal::AppendU32;
using internal::ReadU16;
using internal::ReadU32;

constexpr size_t kExtensionHeaderSize = 4;
constexpr size_t kCsrcSize = 4;
constexpr uint8_t kOneByteReservedId = 15;  // RFC 8285 §4.2
constexpr size_t kOneByteMaxLength = 16;
constexpr size_t kTwoByteMaxLength = 255;
constexpr size_t kMaxExtensionBodySize = size_t{0xFFFF} * 4;  // 16-bit word count
constexpr size_t kMaxPadding = 255;                           // one count octet

absl::Status Truncated(absl::string_view what, size_t offset, size_t need, size_t have) {
  return absl::OutOfRangeError(absl::StrCat("RTP ", what, " at offset ", offset, ": needs ", need,
                                            " bytes, the packet has ", have));
}

}  // namespace

std::string ToString(ExtensionForm form) {
  switch (form) {
    case ExtensionForm::kNone:
      return "none";
    case ExtensionForm::kOneByte:
      return "one-byte";
    case ExtensionForm::kTwoByte:
      return "two-byte";
    case ExtensionForm::kOther:
      return "other";
  }
  return absl::StrCat("ExtensionForm(", static_cast<int>(form), ")");
}

// ---------------------------------------------------------------------------
// RtpPacketView

absl::StatusOr<RtpPacketView> RtpPacketView::Parse(absl::Span<const uint8_t> packet) {
  return ParseImpl(packet, /*read_padding=*/true);
}

absl::StatusOr<RtpPacketView> RtpPacketView::ParseHeader(absl::Span<const uint8_t> packet) {
  return ParseImpl(packet, /*read_padding=*/false);
}

absl::StatusOr<RtpPacketView> RtpPacketView::ParseImpl(absl::Span<const uint8_t> packet,
                                                       bool read_padding) {
  if (packet.size() < kRtpFixedHeaderSize) {
    return Truncated("fixed header", 0, kRtpFixedHeaderSize, packet.size());
  }
  RtpPacketView v;
  v.data_ = packet;
  const uint8_t b0 = packet[0];
  const uint8_t version = b0 >> 6;
  if (version != kRtpVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("RTP header at offset 0: version ", version, ", expected 2 (RFC 3550 §5.1)"));
  }
  v.has_padding_ = (b0 & 0x20) != 0;
  const bool has_extension = (b0 & 0x10) != 0;
  v.csrc_count_ = b0 & 0x0F;
  v.marker_ = (packet[1] & 0x80) != 0;
  v.payload_type_ = packet[1] & 0x7F;
  v.sequence_number_ = SeqNum(ReadU16(&packet[2]));
  v.timestamp_ = ReadU32(&packet[4]);
  v.ssrc_ = ReadU32(&packet[8]);

  size_t offset = kRtpFixedHeaderSize;
  const size_t csrc_bytes = v.csrc_count_ * kCsrcSize;
  if (packet.size() - offset < csrc_bytes) {
    return Truncated(absl::StrCat("CSRC list (CC=", v.csrc_count_, ")"), offset, csrc_bytes,
                     packet.size() - offset);
  }
  offset += csrc_bytes;

  if (has_extension) {
    // RFC 3550 §5.3.1: a 16-bit profile value, a 16-bit length in 32-bit
    // words (not counting this header), then the body.
    if (packet.size() - offset < kExtensionHeaderSize) {
      return Truncated("header extension header", offset, kExtensionHeaderSize,
                       packet.size() - offset);
    }
    v.extension_profile_ = ReadU16(&packet[offset]);
    const size_t body_size = size_t{ReadU16(&packet[offset + 2])} * 4;
    const size_t body_offset = offset + kExtensionHeaderSize;
    if (packet.size() - body_offset < body_size) {
      return Truncated(absl::StrFormat("header extension (profile 0x%04X, length %u words)",
                                       v.extension_profile_, body_size / 4),
                       offset + 2, body_size, packet.size() - body_offset);
    }
    v.extension_data_offset_ = body_offset;
    v.extension_data_ = packet.subspan(body_offset, body_size);
    if (v.extension_profile_ == kOneByteExtensionProfile) {
      v.extension_form_ = ExtensionForm::kOneByte;
    } else if ((v.extension_profile_ & kTwoByteExtensionProfileMask) == kTwoByteExtensionProfile) {
      v.extension_form_ = ExtensionForm::kTwoByte;
    } else {
      v.extension_form_ = ExtensionForm::kOther;
    }
    RETURN_IF_ERROR(v.ParseExtensionElements());
    offset = body_offset + body_size;
  }
  v.header_size_ = offset;

  size_t payload_end = packet.size();
  if (v.has_padding_ && read_padding) {
    // RFC 3550 §5.1: "The last octet of the padding contains a count of how
    // many padding octets should be ignored, including itself." So the
    // count is at least 1 and cannot reach into the header.
    if (packet.size() == offset) {
      return absl::OutOfRangeError(absl::StrCat(
          "RTP padding: the P bit is set but no octet follows the ", offset, "-byte header"));
    }
    const size_t count = packet.back();
    if (count == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("RTP padding count at offset ", packet.size() - 1,
                       " is 0; it counts itself, so it must be at least 1 (RFC 3550 §5.1)"));
    }
    if (count > packet.size() - offset) {
      return absl::InvalidArgumentError(absl::StrCat(
          "RTP padding count at offset ", packet.size() - 1, " is ", count, " but only ",
          packet.size() - offset, " bytes follow the ", offset, "-byte header"));
    }
    v.padding_size_ = count;
    payload_end -= count;
  }
  v.payload_ = packet.subspan(offset, payload_end - offset);
  return v;
}

absl::Status RtpPacketView::ParseExtensionElements() {
  if (extension_form_ != ExtensionForm::kOneByte && extension_form_ != ExtensionForm::kTwoByte) {
    return absl::OkStatus();
  }
  const bool one_byte = extension_form_ == ExtensionForm::kOneByte;
  const absl::Span<const uint8_t> body = extension_data_;
  // RFC 8285 §4.1.2: "The entire extension is parsed byte by byte to find
  // each extension element (no alignment is needed)".
  size_t i = 0;
  while (i < body.size()) {
    const size_t element_offset = extension_data_offset_ + i;
    if (body[i] == 0) {
      // A padding byte: "ignored, and the parser moves on to interpreting
      // the next byte" (§4.1.2).
      ++i;
      continue;
    }
    uint8_t id;
    size_t length;
    size_t header;
    if (one_byte) {
      id = body[i] >> 4;
      length = static_cast<size_t>(body[i] & 0x0F) + 1;  // §4.2: the field is length - 1
      header = 1;
      if (id == kOneByteReservedId) {
        // §4.2: ID 15 ends processing; its length field is ignored.
        extensions_stopped_early_ = true;
        return absl::OkStatus();
      }
      if (id == 0) {
        // A non-zero byte with ID 0: an ID-0 element with a length, which
        // §4.1.2 says terminates processing of the whole extension.
        extensions_stopped_early_ = true;
        return absl::OkStatus();
      }
    } else {
      // In the two-byte form a zero ID byte is padding (handled above), so
      // an ID here is 1..255.
      if (body.size() - i < 2) {
        return absl::InvalidArgumentError(absl::StrCat(
            "RTP header extension element (two-byte form) at offset ", element_offset, ": ID ",
            body[i], " has no length byte before the end of the extension block"));
      }
      id = body[i];
      length = body[i + 1];
      header = 2;
    }
    if (body.size() - i - header < length) {
      return absl::InvalidArgumentError(absl::StrCat(
          "RTP header extension element ID ", id, " (", rtp::ToString(extension_form_),
          " form) at offset ", element_offset, ": data length ", length, " runs past the end of ",
          "the extension block at offset ", extension_data_offset_ + body.size()));
    }
    HeaderExtension e;
    e.id = id;
    e.data = body.subspan(i + header, length);
    e.offset = element_offset;
    extensions_.push_back(e);
    i += header + length;
  }
  return absl::OkStatus();
}

uint32_t RtpPacketView::csrc(size_t i) const {
  // Bounds were checked at parse time; an index past csrc_count() is a
  // caller bug, answered with 0 rather than a read past the header.
  if (i >= csrc_count_) return 0;
  return ReadU32(&data_[kRtpFixedHeaderSize + i * kCsrcSize]);
}

std::vector<uint32_t> RtpPacketView::csrcs() const {
  std::vector<uint32_t> out;
  out.reserve(csrc_count_);
  for (size_t i = 0; i < csrc_count_; ++i) out.push_back(csrc(i));
  return out;
}

const HeaderExtension* RtpPacketView::FindExtension(uint8_t id) const {
  for (const HeaderExtension& e : extensions_) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

std::string RtpPacketView::ToString() const {
  std::string s = absl::StrFormat("RTP pt=%u seq=%u ts=%u ssrc=0x%08X", payload_type_,
                                  sequence_number_.value(), timestamp_, ssrc_);
  if (marker_) absl::StrAppend(&s, " M");
  if (csrc_count_ > 0) {
    absl::StrAppend(&s, " csrc=[");
    for (size_t i = 0; i < csrc_count_; ++i) {
      absl::StrAppendFormat(&s, "%s0x%08X", i == 0 ? "" : ",", csrc(i));
    }
    absl::StrAppend(&s, "]");
  }
  if (extension_form_ == ExtensionForm::kOther) {
    absl::StrAppendFormat(&s, " ext=profile 0x%04X{%uB}", extension_profile_,
                          extension_data_.size());
  } else if (extension_form_ != ExtensionForm::kNone) {
    absl::StrAppend(&s, " ext=", rtp::ToString(extension_form_), "{");
    for (size_t i = 0; i < extensions_.size(); ++i) {
      absl::StrAppend(&s, i == 0 ? "" : ",", extensions_[i].id, ":", extensions_[i].data.size(),
                      "B");
    }
    absl::StrAppend(&s, extensions_stopped_early_ ? ",stop}" : "}");
  }
  absl::StrAppend(&s, " payload=", payload_.size(), "B");
  if (has_padding_) absl::StrAppend(&s, " pad=", padding_size_, "B");
  return s;
}

// ---------------------------------------------------------------------------
// RtpPacketBuilder

RtpPacketBuilder RtpPacketBuilder::FromView(const RtpPacketView& view) {
  RtpPacketBuilder b;
  b.set_marker(view.marker())
      .set_payload_type(view.payload_type())
      .set_sequence_number(view.sequence_number())
      .set_timestamp(view.timestamp())
      .set_ssrc(view.ssrc())
      .set_payload(view.payload())
      .set_padding_size(view.padding_size());
  for (size_t i = 0; i < view.csrc_count(); ++i) b.add_csrc(view.csrc(i));
  switch (view.extension_form()) {
    case ExtensionForm::kNone:
      break;
    case ExtensionForm::kOther:
      b.SetRawExtension(view.extension_profile(), view.extension_data());
      break;
    case ExtensionForm::kOneByte:
    case ExtensionForm::kTwoByte:
      b.set_extension_mode(view.extension_form() == ExtensionForm::kOneByte
                               ? ExtensionMode::kOneByte
                               : ExtensionMode::kTwoByte);
      b.set_extension_appbits(view.extension_appbits());
      for (const HeaderExtension& e : view.extensions()) b.AddExtension(e.id, e.data);
      break;
  }
  return b;
}

RtpPacketBuilder& RtpPacketBuilder::AddExtension(uint8_t id, absl::Span<const uint8_t> data) {
  elements_.push_back(Element{id, std::vector<uint8_t>(data.begin(), data.end())});
  return *this;
}

RtpPacketBuilder& RtpPacketBuilder::SetRawExtension(uint16_t profile,
                                                    absl::Span<const uint8_t> data) {
  has_raw_extension_ = true;
  raw_profile_ = profile;
  raw_extension_.assign(data.begin(), data.end());
  return *this;
}

absl::StatusOr<ExtensionForm> RtpPacketBuilder::ChooseExtensionForm() const {
  if (has_raw_extension_) {
    if (!elements_.empty()) {
      return absl::InvalidArgumentError(
          "RTP builder: a raw header extension and RFC 8285 elements cannot be combined");
    }
    return ExtensionForm::kOther;
  }
  if (elements_.empty()) return ExtensionForm::kNone;
  auto fits_one_byte = [](const Element& e) {
    return e.id >= 1 && e.id < kOneByteReservedId && !e.data.empty() &&
           e.data.size() <= kOneByteMaxLength;
  };
  // Id 0 is reserved for padding in both forms (RFC 8285 §4.1.2).
  for (size_t i = 0; i < elements_.size(); ++i) {
    const Element& e = elements_[i];
    if (e.id == 0) {
      return absl::InvalidArgumentError(absl::StrCat("RTP builder: header extension element ", i,
                                                     " has ID 0, which is reserved for padding "
                                                     "(RFC 8285 §4.1.2)"));
    }
    if (e.data.size() > kTwoByteMaxLength) {
      return absl::InvalidArgumentError(
          absl::StrCat("RTP builder: header extension element ID ", e.id, " has ", e.data.size(),
                       " bytes of data; at most 255 fit (RFC 8285 §4.3)"));
    }
  }
  switch (extension_mode_) {
    case ExtensionMode::kAuto:
      return std::all_of(elements_.begin(), elements_.end(), fits_one_byte)
                 ? ExtensionForm::kOneByte
                 : ExtensionForm::kTwoByte;
    case ExtensionMode::kOneByte:
      for (const Element& e : elements_) {
        if (!fits_one_byte(e)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "RTP builder: header extension element ID ", e.id, " with ", e.data.size(),
              " bytes does not fit the one-byte form (ID 1..14, 1..16 bytes; RFC 8285 §4.2)"));
        }
      }
      return ExtensionForm::kOneByte;
    case ExtensionMode::kTwoByte:
      return ExtensionForm::kTwoByte;
  }
  return absl::InvalidArgumentError("RTP builder: unknown extension mode");
}

absl::Status RtpPacketBuilder::SerializeTo(std::vector<uint8_t>& out) const {
  if (payload_type_ > kMaxPayloadType) {
    return absl::InvalidArgumentError(absl::StrCat("RTP builder: payload type ", payload_type_,
                                                   " does not fit 7 bits (RFC 3550 §5.1)"));
  }
  if (csrcs_.size() > kMaxCsrcs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RTP builder: ", csrcs_.size(), " CSRCs, at most 15 fit the CC field (RFC 3550 §5.1)"));
  }
  if (padding_size_ > kMaxPadding) {
    return absl::InvalidArgumentError(absl::StrCat("RTP builder: padding of ", padding_size_,
                                                   " bytes; the count octet allows 1..255"));
  }
  if (appbits_ > 0x0F) {
    return absl::InvalidArgumentError(absl::StrCat("RTP builder: extension appbits ", appbits_,
                                                   " do not fit 4 bits (RFC 8285 §4.3)"));
  }
  ASSIGN_OR_RETURN(const ExtensionForm form, ChooseExtensionForm());

  // The extension body, built first so its size is known and errors leave
  // `out` untouched.
  std::vector<uint8_t> ext;
  uint16_t profile = 0;
  switch (form) {
    case ExtensionForm::kNone:
      break;
    case ExtensionForm::kOther:
      if (raw_extension_.size() % 4 != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("RTP builder: raw header extension of ", raw_extension_.size(),
                         " bytes is not a whole number of 32-bit words (RFC 3550 §5.3.1)"));
      }
      profile = raw_profile_;
      ext = raw_extension_;
      break;
    case ExtensionForm::kOneByte:
      profile = kOneByteExtensionProfile;
      for (const Element& e : elements_) {
        ext.push_back(static_cast<uint8_t>((e.id << 4) | (e.data.size() - 1)));
        ext.insert(ext.end(), e.data.begin(), e.data.end());
      }
      break;
    case ExtensionForm::kTwoByte:
      profile = kTwoByteExtensionProfile | appbits_;
      for (const Element& e : elements_) {
        ext.push_back(e.id);
        ext.push_back(static_cast<uint8_t>(e.data.size()));
        ext.insert(ext.end(), e.data.begin(), e.data.end());
      }
      break;
  }
  // Zero padding to the 32-bit boundary (RFC 8285 §4.1.2).
  while (ext.size() % 4 != 0) ext.push_back(0);
  if (ext.size() > kMaxExtensionBodySize) {
    return absl::InvalidArgumentError(absl::StrCat("RTP builder: header extension of ", ext.size(),
                                                   " bytes exceeds 65535 words"));
  }

  const size_t header_size = kRtpFixedHeaderSize + csrcs_.size() * kCsrcSize +
                             (form == ExtensionForm::kNone ? 0 : kExtensionHeaderSize + ext.size());
  out.reserve(out.size() + header_size + payload_.size() + padding_size_);
  out.push_back(static_cast<uint8_t>((kRtpVersion << 6) | (padding_size_ > 0 ? 0x20 : 0) |
                                     (form != ExtensionForm::kNone ? 0x10 : 0) | csrcs_.size()));
  out.push_back(static_cast<uint8_t>((marker_ ? 0x80 : 0) | payload_type_));
  AppendU16(out, sequence_number_.value());
  AppendU32(out, timestamp_);
  AppendU32(out, ssrc_);
  for (uint32_t c : csrcs_) AppendU32(out, c);
  if (form != ExtensionForm::kNone) {
    AppendU16(out, profile);
    AppendU16(out, static_cast<uint16_t>(ext.size() / 4));
    out.insert(out.end(), ext.begin(), ext.end());
  }
  out.insert(out.end(), payload_.begin(), payload_.end());
  if (padding_size_ > 0) {
    out.insert(out.end(), padding_size_ - 1, 0);
    out.push_back(static_cast<uint8_t>(padding_size_));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> RtpPacketBuilder::Build() const {
  std::vector<uint8_t> out;
  RETURN_IF_ERROR(SerializeTo(out));
  return out;
}

}  // namespace rtcsim::rtp
