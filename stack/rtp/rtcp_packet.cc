// RTCP, RFC 3550 §6.4 (SR/RR), §6.5 (SDES), §6.6 (BYE); compound packet
// validity, §6.1 and Appendix A.2.
//
//   SR (§6.4.1)                              SDES chunk (§6.5)
//   | V P  RC |  PT=200 |     length    |    |           SSRC/CSRC           |
//   |         SSRC of sender            |    | type  | len  | text ...       |
//   |   NTP timestamp, most sig. word   |    | ... more items | 0 | pad to 4 |
//   |   NTP timestamp, least sig. word  |
//   |          RTP timestamp            |    BYE (§6.6)
//   |     sender's packet count         |    | V P  SC |  PT=203 |   length  |
//   |      sender's octet count         |    |          SSRC/CSRC            |
//   |   report blocks (24 bytes each)   |    | len | reason ...  | pad to 4  |
//   |   profile-specific extensions     |
#include "stack/rtp/rtcp_packet.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "stack/rtp/byte_io.h"

namespace rtcsim::rtp {
namespace {

using internal::AppendU16;
using internal::AppendU24;
using internal::AppendU32;
using internal::AppendU64;
using internal::ReadU16;
using internal::ReadU24;
using internal::ReadU32;
using internal::ReadU64;

constexpr uint8_t kVersion = 2;
constexpr size_t kSsrcSize = 4;
constexpr size_t kMaxText = 255;  // one length octet (§6.5, §6.6)
constexpr int32_t kMaxCumulativeLost = 0x7FFFFF;
constexpr int32_t kMinCumulativeLost = -0x800000;

size_t PadTo4(size_t n) { return (n + 3) & ~size_t{3}; }

// The 4-byte common header for a packet whose body (after the header) is
// `body_size` bytes, a multiple of 4 (§6.4.1: length is in 32-bit words
// minus one, i.e. the body's words).
void AppendHeader(std::vector<uint8_t>& out, uint8_t count, uint8_t type, size_t body_size) {
  out.push_back(static_cast<uint8_t>((kVersion << 6) | count));
  out.push_back(type);
  AppendU16(out, static_cast<uint16_t>(body_size / 4));
}

absl::Status WrongType(const RtcpPacketView& p, uint8_t expected) {
  return absl::InvalidArgumentError(absl::StrCat("RTCP packet at offset ", p.offset(), " is ",
                                                 RtcpTypeName(p.type()), ", not ",
                                                 RtcpTypeName(expected)));
}

// Offset in the compound packet of byte `i` of `p`'s payload.
size_t At(const RtcpPacketView& p, size_t i) { return p.offset() + kRtcpHeaderSize + i; }

absl::Status CheckCount(absl::string_view what, size_t n) {
  if (n <= kMaxRtcpCount) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "RTCP builder: ", n, " ", what, "; the 5-bit count allows at most 31 (RFC 3550 §6.4.1)"));
}

// SR and RR share everything after the sender info (§6.4.2).
absl::Status ParseBlocks(const RtcpPacketView& p, size_t offset, std::vector<ReportBlock>& blocks,
                         std::vector<uint8_t>& extension) {
  const absl::Span<const uint8_t> body = p.payload();
  const size_t need = size_t{p.count()} * kReportBlockSize;
  if (body.size() - offset < need) {
    return absl::OutOfRangeError(absl::StrCat(
        "RTCP ", RtcpTypeName(p.type()), " report blocks at offset ", At(p, offset),
        ": RC=", p.count(), " needs ", need, " bytes, the packet has ", body.size() - offset));
  }
  blocks.reserve(p.count());
  for (size_t i = 0; i < p.count(); ++i) {
    blocks.push_back(ReportBlock::Parse(body.subspan(offset + i * kReportBlockSize)));
  }
  offset += need;
  const size_t rest = body.size() - offset;
  if (rest % 4 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RTCP ", RtcpTypeName(p.type()), " profile extension at offset ", At(p, offset), ": ", rest,
        " bytes is not a whole number of 32-bit words (RFC 3550 §6.4.3)"));
  }
  extension.assign(body.begin() + offset, body.end());
  return absl::OkStatus();
}

absl::Status CheckExtension(const std::vector<uint8_t>& ext) {
  if (ext.size() % 4 == 0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("RTCP builder: profile extension of ", ext.size(),
                   " bytes is not a whole number of 32-bit words (RFC 3550 §6.4.3)"));
}

// The 16-bit length field counts the body's 32-bit words (§6.4.1).
absl::Status CheckBodySize(uint8_t type, size_t body) {
  if (body / 4 <= 0xFFFF) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("RTCP builder: ", RtcpTypeName(type), " body of ",
                                                 body, " bytes overflows the 16-bit length field"));
}

std::string BlocksToString(const std::vector<ReportBlock>& blocks) {
  return absl::StrJoin(blocks, ", ", [](std::string* out, const ReportBlock& b) {
    absl::StrAppend(out, b.ToString());
  });
}

}  // namespace

std::string RtcpTypeName(uint8_t type) {
  switch (type) {
    case rtcp_type::kSr:
      return "SR";
    case rtcp_type::kRr:
      return "RR";
    case rtcp_type::kSdes:
      return "SDES";
    case rtcp_type::kBye:
      return "BYE";
    case rtcp_type::kApp:
      return "APP";
    case rtcp_type::kRtpfb:
      return "RTPFB";
    case rtcp_type::kPsfb:
      return "PSFB";
    case rtcp_type::kXr:
      return "XR";
  }
  return absl::StrCat("PT ", type);
}

// ---------------------------------------------------------------------------
// Compound packets

std::string RtcpPacketView::ToString() const {
  return absl::StrCat(RtcpTypeName(type_), " count=", count_, " len=", data_.size(),
                      has_padding_ ? " P" : "", " @", offset_);
}

absl::StatusOr<RtcpCompoundView> RtcpCompoundView::Parse(absl::Span<const uint8_t> data) {
  if (data.empty()) return absl::OutOfRangeError("RTCP compound packet is empty");
  RtcpCompoundView c;
  c.data_ = data;
  size_t offset = 0;
  while (offset < data.size()) {
    const size_t remaining = data.size() - offset;
    if (remaining < kRtcpHeaderSize) {
      return absl::OutOfRangeError(absl::StrCat("RTCP header at offset ", offset,
                                                ": needs 4 bytes, ", remaining,
                                                " remain in the compound packet"));
    }
    const uint8_t b0 = data[offset];
    if ((b0 >> 6) != kVersion) {
      return absl::InvalidArgumentError(absl::StrCat("RTCP header at offset ", offset, ": version ",
                                                     b0 >> 6, ", expected 2 (RFC 3550 §6.4.1)"));
    }
    // Length counts 32-bit words minus one, so any value is at least the
    // header itself and the walk always advances (§6.4.1).
    const size_t size = (size_t{ReadU16(&data[offset + 2])} + 1) * 4;
    if (size > remaining) {
      return absl::OutOfRangeError(absl::StrCat(
          "RTCP ", RtcpTypeName(data[offset + 1]), " at offset ", offset, ": length field ",
          ReadU16(&data[offset + 2]), " means ", size, " bytes, only ", remaining, " remain"));
    }
    RtcpPacketView p;
    p.type_ = data[offset + 1];
    p.count_ = b0 & 0x1F;
    p.has_padding_ = (b0 & 0x20) != 0;
    p.offset_ = offset;
    p.data_ = data.subspan(offset, size);
    size_t body_size = size - kRtcpHeaderSize;
    if (p.has_padding_) {
      // §6.4.1: padding as for RTP (§5.1): the last octet counts the
      // padding octets, itself included.
      const size_t count = data[offset + size - 1];
      if (count == 0 || count > body_size) {
        return absl::InvalidArgumentError(
            absl::StrCat("RTCP ", RtcpTypeName(p.type_), " at offset ", offset, ": padding count ",
                         count, " at offset ", offset + size - 1, " must be 1..", body_size,
                         " (it counts itself and cannot reach into the header)"));
      }
      body_size -= count;
    }
    p.payload_ = data.subspan(offset + kRtcpHeaderSize, body_size);
    c.packets_.push_back(p);
    offset += size;
  }
  return c;
}

bool RtcpCompoundView::IsRfc3550Compound() const {
  if (packets_.empty()) return false;
  const uint8_t first = packets_.front().type();
  if (first != rtcp_type::kSr && first != rtcp_type::kRr) return false;
  for (size_t i = 0; i + 1 < packets_.size(); ++i) {
    if (packets_[i].has_padding()) return false;
  }
  return true;
}

std::string RtcpCompoundView::ToString() const {
  return absl::StrCat("RTCP[",
                      absl::StrJoin(packets_, ", ",
                                    [](std::string* out, const RtcpPacketView& p) {
                                      absl::StrAppend(out, p.ToString());
                                    }),
                      "]");
}

// ---------------------------------------------------------------------------
// Report blocks

ReportBlock ReportBlock::Parse(absl::Span<const uint8_t> data) {
  ReportBlock b;
  if (data.size() < kReportBlockSize) return b;  // callers check; never read past
  const uint8_t* p = data.data();
  b.ssrc = ReadU32(p);
  b.fraction_lost = p[4];
  // Sign-extend the 24-bit two's-complement count (§6.4.1).
  const uint32_t raw = ReadU24(p + 5);
  b.cumulative_lost =
      (raw & 0x800000) != 0 ? static_cast<int32_t>(raw) - 0x1000000 : static_cast<int32_t>(raw);
  b.extended_highest_seq = ReadU32(p + 8);
  b.jitter = ReadU32(p + 12);
  b.last_sr = ReadU32(p + 16);
  b.delay_since_last_sr = ReadU32(p + 20);
  return b;
}

void ReportBlock::SerializeTo(std::vector<uint8_t>& out) const {
  AppendU32(out, ssrc);
  out.push_back(fraction_lost);
  // Appendix A.3: clamp rather than wrap, so a huge count does not read as
  // a gain.
  const int32_t lost = std::clamp(cumulative_lost, kMinCumulativeLost, kMaxCumulativeLost);
  AppendU24(out, static_cast<uint32_t>(lost) & 0xFFFFFF);
  AppendU32(out, extended_highest_seq);
  AppendU32(out, jitter);
  AppendU32(out, last_sr);
  AppendU32(out, delay_since_last_sr);
}

std::string ReportBlock::ToString() const {
  return absl::StrFormat("{ssrc=0x%08X lost=%u/256 cum=%d ehsn=%u jitter=%u lsr=0x%08X dlsr=%u}",
                         ssrc, fraction_lost, cumulative_lost, extended_highest_seq, jitter,
                         last_sr, delay_since_last_sr);
}

// ---------------------------------------------------------------------------
// SR

absl::StatusOr<SenderReport> SenderReport::Parse(const RtcpPacketView& packet) {
  if (packet.type() != rtcp_type::kSr) return WrongType(packet, rtcp_type::kSr);
  const absl::Span<const uint8_t> body = packet.payload();
  if (body.size() < kSsrcSize + kSenderInfoSize) {
    return absl::OutOfRangeError(absl::StrCat("RTCP SR at offset ", packet.offset(),
                                              ": needs 24 bytes of SSRC and sender ",
                                              "info after the header, has ", body.size()));
  }
  SenderReport sr;
  sr.sender_ssrc = ReadU32(&body[0]);
  sr.sender_info.ntp_timestamp = ReadU64(&body[4]);
  sr.sender_info.rtp_timestamp = ReadU32(&body[12]);
  sr.sender_info.packet_count = ReadU32(&body[16]);
  sr.sender_info.octet_count = ReadU32(&body[20]);
  if (absl::Status s =
          ParseBlocks(packet, kSsrcSize + kSenderInfoSize, sr.report_blocks, sr.profile_extension);
      !s.ok()) {
    return s;
  }
  return sr;
}

absl::Status SenderReport::SerializeTo(std::vector<uint8_t>& out) const {
  if (absl::Status s = CheckCount("report blocks", report_blocks.size()); !s.ok()) return s;
  if (absl::Status s = CheckExtension(profile_extension); !s.ok()) return s;
  const size_t body = kSsrcSize + kSenderInfoSize + report_blocks.size() * kReportBlockSize +
                      profile_extension.size();
  if (absl::Status s = CheckBodySize(rtcp_type::kSr, body); !s.ok()) return s;
  AppendHeader(out, static_cast<uint8_t>(report_blocks.size()), rtcp_type::kSr, body);
  AppendU32(out, sender_ssrc);
  AppendU64(out, sender_info.ntp_timestamp);
  AppendU32(out, sender_info.rtp_timestamp);
  AppendU32(out, sender_info.packet_count);
  AppendU32(out, sender_info.octet_count);
  for (const ReportBlock& b : report_blocks) b.SerializeTo(out);
  out.insert(out.end(), profile_extension.begin(), profile_extension.end());
  return absl::OkStatus();
}

std::string SenderReport::ToString() const {
  return absl::StrFormat(
      "SR ssrc=0x%08X ntp=0x%016X rtp=%u packets=%u octets=%u blocks=[%s]%s", sender_ssrc,
      sender_info.ntp_timestamp, sender_info.rtp_timestamp, sender_info.packet_count,
      sender_info.octet_count, BlocksToString(report_blocks),
      profile_extension.empty() ? "" : absl::StrCat(" ext=", profile_extension.size(), "B"));
}

// ---------------------------------------------------------------------------
// RR

absl::StatusOr<ReceiverReport> ReceiverReport::Parse(const RtcpPacketView& packet) {
  if (packet.type() != rtcp_type::kRr) return WrongType(packet, rtcp_type::kRr);
  const absl::Span<const uint8_t> body = packet.payload();
  if (body.size() < kSsrcSize) {
    return absl::OutOfRangeError(absl::StrCat("RTCP RR at offset ", packet.offset(),
                                              ": needs a 4-byte sender SSRC after the header, has ",
                                              body.size()));
  }
  ReceiverReport rr;
  rr.sender_ssrc = ReadU32(&body[0]);
  if (absl::Status s = ParseBlocks(packet, kSsrcSize, rr.report_blocks, rr.profile_extension);
      !s.ok()) {
    return s;
  }
  return rr;
}

absl::Status ReceiverReport::SerializeTo(std::vector<uint8_t>& out) const {
  if (absl::Status s = CheckCount("report blocks", report_blocks.size()); !s.ok()) return s;
  if (absl::Status s = CheckExtension(profile_extension); !s.ok()) return s;
  const size_t body =
      kSsrcSize + report_blocks.size() * kReportBlockSize + profile_extension.size();
  if (absl::Status s = CheckBodySize(rtcp_type::kRr, body); !s.ok()) return s;
  AppendHeader(out, static_cast<uint8_t>(report_blocks.size()), rtcp_type::kRr, body);
  AppendU32(out, sender_ssrc);
  for (const ReportBlock& b : report_blocks) b.SerializeTo(out);
  out.insert(out.end(), profile_extension.begin(), profile_extension.end());
  return absl::OkStatus();
}

std::string ReceiverReport::ToString() const {
  return absl::StrFormat(
      "RR ssrc=0x%08X blocks=[%s]%s", sender_ssrc, BlocksToString(report_blocks),
      profile_extension.empty() ? "" : absl::StrCat(" ext=", profile_extension.size(), "B"));
}

// ---------------------------------------------------------------------------
// SDES

const std::string* Sdes::Chunk::cname() const {
  for (const Item& item : items) {
    if (item.type == sdes_item::kCname) return &item.value;
  }
  return nullptr;
}

absl::StatusOr<Sdes> Sdes::Parse(const RtcpPacketView& packet) {
  if (packet.type() != rtcp_type::kSdes) return WrongType(packet, rtcp_type::kSdes);
  const absl::Span<const uint8_t> body = packet.payload();
  Sdes sdes;
  sdes.chunks.reserve(packet.count());
  size_t i = 0;
  for (size_t n = 0; n < packet.count(); ++n) {
    // §6.5: "Each chunk starts on a 32-bit boundary"; `i` is kept aligned
    // relative to the payload, which starts aligned.
    if (body.size() - i < kSsrcSize) {
      return absl::OutOfRangeError(absl::StrCat("RTCP SDES chunk ", n, " at offset ", At(packet, i),
                                                ": SC=", packet.count(),
                                                " but no room for its SSRC"));
    }
    Chunk chunk;
    chunk.ssrc = ReadU32(&body[i]);
    i += kSsrcSize;
    while (true) {
      if (i >= body.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "RTCP SDES chunk ", n, " (SSRC ", chunk.ssrc, "): item list at offset ", At(packet, i),
            " is not terminated by a null octet before the end of the packet (RFC 3550 §6.5)"));
      }
      const uint8_t type = body[i];
      if (type == sdes_item::kEnd) {
        // The null item ends the list; null octets pad to the next 32-bit
        // boundary.
        const size_t next = PadTo4(i + 1);
        if (next > body.size()) {
          return absl::InvalidArgumentError(
              absl::StrCat("RTCP SDES chunk ", n, ": padding after the null item at offset ",
                           At(packet, i), " runs past the end of the packet (RFC 3550 §6.5)"));
        }
        i = next;
        break;
      }
      if (body.size() - i < 2 || body.size() - i - 2 < body[i + 1]) {
        return absl::InvalidArgumentError(
            absl::StrCat("RTCP SDES item type ", type, " at offset ", At(packet, i),
                         ": its length runs past the end of the packet"));
      }
      const size_t length = body[i + 1];
      const uint8_t* text = body.data() + i + 2;  // may be one past the end when empty
      chunk.items.push_back(Item{type, std::string(text, text + length)});
      i += 2 + length;
    }
    sdes.chunks.push_back(std::move(chunk));
  }
  if (i != body.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RTCP SDES at offset ", packet.offset(), ": ", body.size() - i, " bytes after the last of ",
        packet.count(), " chunks, at offset ", At(packet, i)));
  }
  return sdes;
}

absl::Status Sdes::SerializeTo(std::vector<uint8_t>& out) const {
  if (absl::Status s = CheckCount("SDES chunks", chunks.size()); !s.ok()) return s;
  size_t body = 0;
  for (const Chunk& chunk : chunks) {
    size_t items = 0;
    for (const Item& item : chunk.items) {
      if (item.type == sdes_item::kEnd) {
        return absl::InvalidArgumentError(
            "RTCP builder: SDES item type 0 is the list terminator (RFC 3550 §6.5)");
      }
      if (item.value.size() > kMaxText) {
        return absl::InvalidArgumentError(absl::StrCat("RTCP builder: SDES item type ", item.type,
                                                       " has ", item.value.size(),
                                                       " octets; at most 255 fit (RFC 3550 §6.5)"));
      }
      items += 2 + item.value.size();
    }
    // At least one null octet, then to the boundary.
    body += kSsrcSize + PadTo4(items + 1);
  }
  if (absl::Status s = CheckBodySize(rtcp_type::kSdes, body); !s.ok()) return s;
  AppendHeader(out, static_cast<uint8_t>(chunks.size()), rtcp_type::kSdes, body);
  for (const Chunk& chunk : chunks) {
    AppendU32(out, chunk.ssrc);
    size_t items = 0;
    for (const Item& item : chunk.items) {
      out.push_back(item.type);
      out.push_back(static_cast<uint8_t>(item.value.size()));
      out.insert(out.end(), item.value.begin(), item.value.end());
      items += 2 + item.value.size();
    }
    out.insert(out.end(), PadTo4(items + 1) - items, 0);
  }
  return absl::OkStatus();
}

std::string Sdes::ToString() const {
  std::string s = "SDES";
  for (const Chunk& chunk : chunks) {
    absl::StrAppendFormat(&s, " {ssrc=0x%08X", chunk.ssrc);
    for (const Item& item : chunk.items) {
      absl::StrAppend(&s, " ", item.type == sdes_item::kCname ? "cname" : absl::StrCat(item.type),
                      "=\"", absl::CHexEscape(item.value), "\"");
    }
    absl::StrAppend(&s, "}");
  }
  return s;
}

// ---------------------------------------------------------------------------
// BYE

absl::StatusOr<Bye> Bye::Parse(const RtcpPacketView& packet) {
  if (packet.type() != rtcp_type::kBye) return WrongType(packet, rtcp_type::kBye);
  const absl::Span<const uint8_t> body = packet.payload();
  const size_t need = size_t{packet.count()} * kSsrcSize;
  if (body.size() < need) {
    return absl::OutOfRangeError(absl::StrCat("RTCP BYE at offset ", packet.offset(),
                                              ": SC=", packet.count(), " needs ", need,
                                              " bytes of SSRCs, the packet has ", body.size()));
  }
  Bye bye;
  bye.ssrcs.reserve(packet.count());
  for (size_t i = 0; i < packet.count(); ++i) bye.ssrcs.push_back(ReadU32(&body[i * kSsrcSize]));
  size_t i = need;
  if (i < body.size()) {
    // §6.6: an optional length octet and reason, null-padded to 32 bits.
    const size_t length = body[i];
    if (body.size() - i - 1 < length) {
      return absl::InvalidArgumentError(absl::StrCat(
          "RTCP BYE reason at offset ", At(packet, i), ": length ", length, " runs past the end ",
          "of the packet (", body.size() - i - 1, " bytes follow)"));
    }
    const uint8_t* text = body.data() + i + 1;  // may be one past the end when empty
    bye.reason.assign(text, text + length);
    i = PadTo4(i + 1 + length);
    if (i != body.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "RTCP BYE at offset ", packet.offset(), ": ", body.size() > i ? body.size() - i : 0,
          " unexpected bytes after the reason and its padding, at offset ",
          At(packet, std::min(i, body.size()))));
    }
  }
  return bye;
}

absl::Status Bye::SerializeTo(std::vector<uint8_t>& out) const {
  if (absl::Status s = CheckCount("BYE SSRCs", ssrcs.size()); !s.ok()) return s;
  if (reason.size() > kMaxText) {
    return absl::InvalidArgumentError(absl::StrCat("RTCP builder: BYE reason of ", reason.size(),
                                                   " octets; at most 255 fit (RFC 3550 §6.6)"));
  }
  const size_t reason_size = reason.empty() ? 0 : PadTo4(1 + reason.size());
  AppendHeader(out, static_cast<uint8_t>(ssrcs.size()), rtcp_type::kBye,
               ssrcs.size() * kSsrcSize + reason_size);
  for (uint32_t ssrc : ssrcs) AppendU32(out, ssrc);
  if (!reason.empty()) {
    out.push_back(static_cast<uint8_t>(reason.size()));
    out.insert(out.end(), reason.begin(), reason.end());
    out.insert(out.end(), reason_size - 1 - reason.size(), 0);
  }
  return absl::OkStatus();
}

std::string Bye::ToString() const {
  std::string s = "BYE [";
  for (size_t i = 0; i < ssrcs.size(); ++i) {
    absl::StrAppendFormat(&s, "%s0x%08X", i == 0 ? "" : ",", ssrcs[i]);
  }
  absl::StrAppend(&s, "]");
  if (!reason.empty()) absl::StrAppend(&s, " reason=\"", absl::CHexEscape(reason), "\"");
  return s;
}

// ---------------------------------------------------------------------------
// Compound builder

absl::Status RtcpCompoundBuilder::AddRaw(uint8_t type, uint8_t count,
                                         absl::Span<const uint8_t> payload) {
  if (count > kMaxRtcpCount) {
    return absl::InvalidArgumentError(absl::StrCat("RTCP builder: count ", count, " for ",
                                                   RtcpTypeName(type),
                                                   " does not fit 5 bits (RFC 3550 §6.4.1)"));
  }
  if (payload.size() % 4 != 0 || payload.size() / 4 > 0xFFFF) {
    return absl::InvalidArgumentError(
        absl::StrCat("RTCP builder: ", RtcpTypeName(type), " payload of ", payload.size(),
                     " bytes is not a whole number of 32-bit words up to 65535"));
  }
  AppendHeader(bytes_, count, type, payload.size());
  bytes_.insert(bytes_.end(), payload.begin(), payload.end());
  return absl::OkStatus();
}

void RtcpCompoundBuilder::AddRaw(const RtcpPacketView& packet) {
  bytes_.insert(bytes_.end(), packet.data().begin(), packet.data().end());
}

}  // namespace rtcsim::rtp
