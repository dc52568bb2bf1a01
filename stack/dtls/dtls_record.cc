// DTLS record and handshake headers, RFC 6347 §4.1 and §4.2.2. Every read is
// bounds-checked against what is left of the input; nothing is trusted after
// a failed read.
#include "stack/dtls/dtls_record.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rtcsim::dtls {
namespace {

uint64_t ReadBigEndian(absl::Span<const uint8_t> bytes, size_t offset, size_t size) {
  uint64_t v = 0;
  for (size_t i = 0; i < size; ++i) v = (v << 8) | bytes[offset + i];
  return v;
}

}  // namespace

std::string ToString(ContentType type) {
  switch (type) {
    case ContentType::kChangeCipherSpec:
      return "change_cipher_spec";
    case ContentType::kAlert:
      return "alert";
    case ContentType::kHandshake:
      return "handshake";
    case ContentType::kApplicationData:
      return "application_data";
    case ContentType::kHeartbeat:
      return "heartbeat";
    case ContentType::kTls12Cid:
      return "tls12_cid";
  }
  return absl::StrCat("content_type(", static_cast<int>(type), ")");
}

std::string ToString(HandshakeType type) {
  switch (type) {
    case HandshakeType::kHelloRequest:
      return "HelloRequest";
    case HandshakeType::kClientHello:
      return "ClientHello";
    case HandshakeType::kServerHello:
      return "ServerHello";
    case HandshakeType::kHelloVerifyRequest:
      return "HelloVerifyRequest";
    case HandshakeType::kNewSessionTicket:
      return "NewSessionTicket";
    case HandshakeType::kCertificate:
      return "Certificate";
    case HandshakeType::kServerKeyExchange:
      return "ServerKeyExchange";
    case HandshakeType::kCertificateRequest:
      return "CertificateRequest";
    case HandshakeType::kServerHelloDone:
      return "ServerHelloDone";
    case HandshakeType::kCertificateVerify:
      return "CertificateVerify";
    case HandshakeType::kClientKeyExchange:
      return "ClientKeyExchange";
    case HandshakeType::kFinished:
      return "Finished";
  }
  return absl::StrCat("handshake_type(", static_cast<int>(type), ")");
}

std::string DtlsRecord::ToString() const {
  return absl::StrFormat("%s v=%04x epoch=%u seq=%u len=%u",
                         dtls::ToString(static_cast<ContentType>(content_type)), version, epoch,
                         sequence_number, fragment.size());
}

std::string HandshakeFragment::ToString() const {
  return absl::StrFormat("%s len=%u seq=%u frag=%u+%u",
                         dtls::ToString(static_cast<HandshakeType>(msg_type)), length, message_seq,
                         fragment_offset, body.size());
}

absl::StatusOr<std::vector<DtlsRecord>> ParseDtlsRecords(absl::Span<const uint8_t> datagram) {
  if (datagram.empty()) return absl::InvalidArgumentError("DTLS datagram is empty");
  std::vector<DtlsRecord> records;
  size_t offset = 0;
  while (offset < datagram.size()) {
    const size_t index = records.size() + 1;
    const size_t left = datagram.size() - offset;
    if (left < kRecordHeaderSize) {
      return absl::OutOfRangeError(
          absl::StrFormat("DTLS record %d at byte %d: truncated header (%d of %d bytes)", index,
                          offset, left, kRecordHeaderSize));
    }
    DtlsRecord r;
    r.offset = offset;
    r.content_type = datagram[offset];
    // RFC 7983 §7: every record of a DTLS datagram starts with 20..63; a
    // later record outside that range means the datagram is garbage.
    if (!IsDtlsFirstByte(r.content_type)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("DTLS record %d at byte %d: content type %d is outside 20..63 "
                          "(RFC 7983)",
                          index, offset, r.content_type));
    }
    r.version = static_cast<uint16_t>(ReadBigEndian(datagram, offset + 1, 2));
    // RFC 6347 §4.1: DTLS versions are the 1's complement of the TLS ones,
    // so the major byte is 254 for every DTLS version.
    if ((r.version >> 8) != 0xFE) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "DTLS record %d at byte %d: version 0x%04x is not DTLS", index, offset, r.version));
    }
    r.epoch = static_cast<uint16_t>(ReadBigEndian(datagram, offset + 3, 2));
    r.sequence_number = ReadBigEndian(datagram, offset + 5, 6);
    const size_t length = ReadBigEndian(datagram, offset + 11, 2);
    if (length > kMaxRecordFragment) {
      return absl::InvalidArgumentError(
          absl::StrFormat("DTLS record %d at byte %d: length %d exceeds 2^14+2048 (RFC 6347 §4.1)",
                          index, offset, length));
    }
    if (length > left - kRecordHeaderSize) {
      return absl::OutOfRangeError(
          absl::StrFormat("DTLS record %d at byte %d: length %d exceeds the %d bytes left", index,
                          offset, length, left - kRecordHeaderSize));
    }
    r.fragment = datagram.subspan(offset + kRecordHeaderSize, length);
    records.push_back(r);
    offset += kRecordHeaderSize + length;
  }
  return records;
}

absl::StatusOr<std::vector<HandshakeFragment>> ParseHandshakeFragments(
    absl::Span<const uint8_t> record_fragment) {
  std::vector<HandshakeFragment> fragments;
  size_t offset = 0;
  while (offset < record_fragment.size()) {
    const size_t index = fragments.size() + 1;
    const size_t left = record_fragment.size() - offset;
    if (left < kHandshakeHeaderSize) {
      return absl::OutOfRangeError(
          absl::StrFormat("handshake fragment %d at byte %d: truncated header (%d of %d bytes)",
                          index, offset, left, kHandshakeHeaderSize));
    }
    HandshakeFragment f;
    f.msg_type = record_fragment[offset];
    f.length = static_cast<uint32_t>(ReadBigEndian(record_fragment, offset + 1, 3));
    f.message_seq = static_cast<uint16_t>(ReadBigEndian(record_fragment, offset + 4, 2));
    f.fragment_offset = static_cast<uint32_t>(ReadBigEndian(record_fragment, offset + 6, 3));
    const size_t fragment_length = ReadBigEndian(record_fragment, offset + 9, 3);
    if (fragment_length > left - kHandshakeHeaderSize) {
      return absl::OutOfRangeError(absl::StrFormat(
          "handshake fragment %d at byte %d: fragment_length %d exceeds the %d bytes left", index,
          offset, fragment_length, left - kHandshakeHeaderSize));
    }
    // RFC 6347 §4.2.3: a fragment covers [fragment_offset,
    // fragment_offset + fragment_length) of a message of `length` bytes.
    if (uint64_t{f.fragment_offset} + fragment_length > f.length) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "handshake fragment %d at byte %d: bytes %d..%d lie beyond the message length %d", index,
          offset, f.fragment_offset, uint64_t{f.fragment_offset} + fragment_length, f.length));
    }
    f.body = record_fragment.subspan(offset + kHandshakeHeaderSize, fragment_length);
    fragments.push_back(f);
    offset += kHandshakeHeaderSize + fragment_length;
  }
  return fragments;
}

absl::Status CheckDtlsDatagram(absl::Span<const uint8_t> datagram) {
  absl::StatusOr<std::vector<DtlsRecord>> records = ParseDtlsRecords(datagram);
  if (!records.ok()) return records.status();
  for (size_t i = 0; i < records->size(); ++i) {
    const DtlsRecord& r = (*records)[i];
    const auto type = static_cast<ContentType>(r.content_type);
    if (type != ContentType::kChangeCipherSpec && type != ContentType::kAlert &&
        type != ContentType::kHandshake && type != ContentType::kApplicationData) {
      return absl::InvalidArgumentError(
          absl::StrFormat("DTLS record %d at byte %d: unexpected content type %s", i + 1, r.offset,
                          ToString(type)));
    }
    if (type == ContentType::kHandshake && r.epoch == 0) {
      absl::StatusOr<std::vector<HandshakeFragment>> fragments =
          ParseHandshakeFragments(r.fragment);
      if (!fragments.ok()) {
        return absl::Status(fragments.status().code(),
                            absl::StrFormat("DTLS record %d at byte %d: %s", i + 1, r.offset,
                                            fragments.status().message()));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace rtcsim::dtls
