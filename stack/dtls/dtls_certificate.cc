// Self-signed ECDSA P-256 certificates for DTLS-SRTP. WebRTC endpoints
// authenticate each other by the certificate fingerprint signalled in SDP
// (RFC 8122 §5, RFC 8827 §6.5), not by a CA chain, so the certificate only
// has to be well-formed: X.509 v3, random serial, CN=rtcsim, a validity
// window around "now", signed with ECDSA-with-SHA256.
//
// All OpenSSL calls that draw randomness or read the clock run inside an
// OpenSslScope, which makes generation a function of the Env's seed and
// virtual time in simulation.
#include "stack/dtls/dtls_certificate.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "stack/dtls/openssl_scope.h"

namespace rtcsim::dtls {
namespace {

std::string OpenSslError(absl::string_view what) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return std::string(what);
  char text[256];
  ERR_error_string_n(e, text, sizeof(text));
  return absl::StrCat(what, ": ", text);
}

absl::StatusOr<std::vector<uint8_t>> ToDer(X509* x509) {
  int size = i2d_X509(x509, nullptr);
  if (size <= 0) return absl::InternalError(OpenSslError("DER encoding failed"));
  std::vector<uint8_t> der(size);
  uint8_t* p = der.data();
  i2d_X509(x509, &p);
  return der;
}

}  // namespace

DtlsCertificate::DtlsCertificate(EVP_PKEY* key, X509* x509, std::vector<uint8_t> der,
                                 Fingerprint fingerprint)
    : key_(key), x509_(x509), der_(std::move(der)), fingerprint_(std::move(fingerprint)) {}

DtlsCertificate::~DtlsCertificate() {
  X509_free(x509_);
  EVP_PKEY_free(key_);
}

absl::StatusOr<std::shared_ptr<const DtlsCertificate>> DtlsCertificate::Generate(
    Env& env, absl::string_view random_name, const DtlsCertificateOptions& options) {
  Random random = env.CreateRandom(random_name);
  OpenSslScope scope(env.Now(), random);
  ERR_clear_error();

  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (key == nullptr) return absl::InternalError(OpenSslError("P-256 key generation failed"));
  X509* x509 = X509_new();
  auto fail = [&](absl::string_view what) {
    X509_free(x509);
    EVP_PKEY_free(key);
    return absl::InternalError(OpenSslError(what));
  };
  if (x509 == nullptr) return fail("X509_new failed");

  // RFC 5280 §4.1.2.2: a positive serial of at most 20 bytes; 63 random
  // bits keep it positive and unique enough for self-signed identities.
  uint64_t serial = random.Next64() >> 1;
  BIGNUM* bn = BN_new();
  bool ok = bn != nullptr && BN_set_word(bn, serial) == 1 &&
            BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x509)) != nullptr;
  BN_free(bn);
  if (!ok) return fail("setting the serial failed");

  X509_NAME* name = X509_get_subject_name(x509);
  // X509_gmtime_adj reads time() inside libcrypto: virtual in simulation.
  if (X509_set_version(x509, X509_VERSION_3) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(options.common_name.data()),
                                 static_cast<int>(options.common_name.size()), -1, 0) != 1 ||
      X509_set_issuer_name(x509, name) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(x509), options.not_before_offset.ns() / 1000000000) ==
          nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(x509),
                      (options.not_before_offset + options.lifetime).ns() / 1000000000) ==
          nullptr ||
      X509_set_pubkey(x509, key) != 1) {
    return fail("building the certificate failed");
  }
  if (X509_sign(x509, key, EVP_sha256()) <= 0) return fail("signing the certificate failed");

  auto der = ToDer(x509);
  if (!der.ok()) {
    X509_free(x509);
    EVP_PKEY_free(key);
    return der.status();
  }
  auto fingerprint = Fingerprint::OfCertificate("sha-256", *der);
  if (!fingerprint.ok()) {
    X509_free(x509);
    EVP_PKEY_free(key);
    return fingerprint.status();
  }
  return std::shared_ptr<const DtlsCertificate>(
      new DtlsCertificate(key, x509, std::move(*der), std::move(*fingerprint)));
}

absl::StatusOr<std::shared_ptr<const DtlsCertificate>> DtlsCertificate::FromPem(
    absl::string_view certificate_pem, absl::string_view private_key_pem) {
  ERR_clear_error();
  BIO* cert_bio = BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size()));
  X509* x509 = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  BIO_free(cert_bio);
  if (x509 == nullptr) {
    return absl::InvalidArgumentError(OpenSslError("certificate PEM could not be parsed"));
  }
  BIO* key_bio = BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  if (key == nullptr) {
    X509_free(x509);
    return absl::InvalidArgumentError(OpenSslError("private key PEM could not be parsed"));
  }
  if (X509_check_private_key(x509, key) != 1) {
    X509_free(x509);
    EVP_PKEY_free(key);
    return absl::InvalidArgumentError(OpenSslError("private key does not match the certificate"));
  }
  auto der = ToDer(x509);
  absl::StatusOr<Fingerprint> fingerprint =
      der.ok() ? Fingerprint::OfCertificate("sha-256", *der) : der.status();
  if (!fingerprint.ok()) {
    X509_free(x509);
    EVP_PKEY_free(key);
    return fingerprint.status();
  }
  return std::shared_ptr<const DtlsCertificate>(
      new DtlsCertificate(key, x509, std::move(*der), std::move(*fingerprint)));
}

std::string DtlsCertificate::CertificatePem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x509_);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, size > 0 ? size : 0);
  BIO_free(bio);
  return pem;
}

}  // namespace rtcsim::dtls
