// RFC 8122 §5 fingerprints:
//   fingerprint-attribute  =  "fingerprint" ":" hash-func SP fingerprint
//   hash-func              =  "sha-1" / "sha-224" / "sha-256" /
//                             "sha-384" / "sha-512" / "md5" / "md2" / token
//   fingerprint            =  2UHEX *(":" 2UHEX)
#include "stack/dtls/fingerprint.h"

#include <openssl/evp.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rtcsim::dtls {
namespace {

struct HashInfo {
  const char* sdp_name;
  const char* openssl_name;
  size_t size;
};

constexpr HashInfo kHashes[] = {
    {"sha-1", "SHA1", 20},     {"sha-224", "SHA224", 28}, {"sha-256", "SHA256", 32},
    {"sha-384", "SHA384", 48}, {"sha-512", "SHA512", 64},
};

const HashInfo* FindHash(absl::string_view name) {
  for (const HashInfo& h : kHashes) {
    if (name == h.sdp_name) return &h;
  }
  return nullptr;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

size_t FingerprintDigestSize(absl::string_view algorithm) {
  const HashInfo* h = FindHash(algorithm);
  return h == nullptr ? 0 : h->size;
}

absl::StatusOr<Fingerprint> Fingerprint::Parse(absl::string_view sdp_value) {
  const size_t space = sdp_value.find(' ');
  if (space == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "fingerprint \"", sdp_value, "\": expected \"<hash-func> <AB:CD:...>\" (RFC 8122 §5)"));
  }
  Fingerprint fp;
  fp.algorithm = absl::AsciiStrToLower(sdp_value.substr(0, space));
  absl::string_view hex = absl::StripAsciiWhitespace(sdp_value.substr(space + 1));
  if (fp.algorithm == "md5" || fp.algorithm == "md2") {
    return absl::InvalidArgumentError(
        absl::StrCat("fingerprint: hash function ", fp.algorithm,
                     " must not be used to verify certificates (RFC 8122 §5)"));
  }
  const HashInfo* hash = FindHash(fp.algorithm);
  if (hash == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("fingerprint: unknown hash function \"", fp.algorithm,
                     "\" (expected sha-1, sha-224, sha-256, sha-384 or sha-512)"));
  }
  int position = 0;
  for (absl::string_view byte : absl::StrSplit(hex, ':')) {
    ++position;
    if (byte.size() != 2 || HexValue(byte[0]) < 0 || HexValue(byte[1]) < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("fingerprint: byte ", position, " \"", byte, "\" is not two hex digits"));
    }
    fp.digest.push_back(static_cast<uint8_t>(HexValue(byte[0]) * 16 + HexValue(byte[1])));
  }
  if (fp.digest.size() != hash->size) {
    return absl::InvalidArgumentError(absl::StrCat("fingerprint: ", fp.algorithm, " needs ",
                                                   hash->size, " bytes, got ", fp.digest.size()));
  }
  return fp;
}

absl::StatusOr<Fingerprint> Fingerprint::OfCertificate(absl::string_view algorithm,
                                                       absl::Span<const uint8_t> der) {
  const HashInfo* hash = FindHash(algorithm);
  if (hash == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("fingerprint: unsupported hash function \"", algorithm, "\""));
  }
  const EVP_MD* md = EVP_get_digestbyname(hash->openssl_name);
  Fingerprint fp;
  fp.algorithm = hash->sdp_name;
  fp.digest.resize(EVP_MAX_MD_SIZE);
  unsigned int size = 0;
  if (md == nullptr ||
      EVP_Digest(der.data(), der.size(), fp.digest.data(), &size, md, nullptr) != 1) {
    return absl::InternalError(absl::StrCat("fingerprint: OpenSSL cannot compute ", algorithm));
  }
  fp.digest.resize(size);
  return fp;
}

std::string Fingerprint::HexDigest() const {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(digest.size() * 3);
  for (size_t i = 0; i < digest.size(); ++i) {
    if (i > 0) out.push_back(':');
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}

std::string Fingerprint::ToString() const { return absl::StrCat(algorithm, " ", HexDigest()); }

}  // namespace rtcsim::dtls
