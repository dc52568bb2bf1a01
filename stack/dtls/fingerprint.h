// Certificate fingerprints as carried in SDP (RFC 8122 §5):
//   a=fingerprint:sha-256 AB:CD:...:EF
#ifndef RTCSIM_STACK_DTLS_FINGERPRINT_H_
#define RTCSIM_STACK_DTLS_FINGERPRINT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace rtcsim::dtls {

struct Fingerprint {
  // Lower-case hash function name as in RFC 8122 §5 ("sha-256").
  std::string algorithm;
  std::vector<uint8_t> digest;

  // Parses "<hash-func> <hex>" — the value of an a=fingerprint line.
  // Hash names are case-insensitive (RFC 8122 §5 shows "SHA-256"), hex
  // digits may be either case. Errors (InvalidArgument) name the problem:
  // a missing space, an unknown hash function, md2/md5 (which RFC 8122 §5
  // forbids), a non-hex byte (with its 1-based position) or a digest of the
  // wrong length for the hash.
  static absl::StatusOr<Fingerprint> Parse(absl::string_view sdp_value);

  // The fingerprint of a DER-encoded certificate with `algorithm` (one of
  // sha-1, sha-224, sha-256, sha-384, sha-512).
  static absl::StatusOr<Fingerprint> OfCertificate(absl::string_view algorithm,
                                                   absl::Span<const uint8_t> der);

  // "sha-256 AB:CD:..." (upper-case hex, RFC 8122 §5).
  std::string ToString() const;
  // Only the "AB:CD:..." part.
  std::string HexDigest() const;

  bool operator==(const Fingerprint&) const = default;
};

// Digest length in bytes for a hash RFC 8122 allows us to use, or 0.
size_t FingerprintDigestSize(absl::string_view algorithm);

}  // namespace rtcsim::dtls

#endif  // RTCSIM_STACK_DTLS_FINGERPRINT_H_
