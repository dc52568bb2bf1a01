// The per-peer DTLS identity: an ECDSA P-256 key and a self-signed X.509
// certificate (RFC 8827 §6.5, RFC 8122 §6.1), identified in SDP by its
// SHA-256 fingerprint.
#ifndef RTCSIM_STACK_DTLS_DTLS_CERTIFICATE_H_
#define RTCSIM_STACK_DTLS_DTLS_CERTIFICATE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "stack/dtls/fingerprint.h"
#include "stack/env/env.h"

typedef struct evp_pkey_st EVP_PKEY;
typedef struct x509_st X509;

namespace rtcsim::dtls {

struct DtlsCertificateOptions {
  std::string common_name = "rtcsim";
  // Validity starts a day before "now" (tolerating a peer whose clock lags)
  // and lasts ~30 days, like browsers' generated certificates.
  TimeDelta not_before_offset = TimeDelta::Seconds(-24 * 3600);
  TimeDelta lifetime = TimeDelta::Seconds(30 * 24 * 3600);
};

class DtlsCertificate {
 public:
  // Generates a fresh key and certificate. Randomness (key, 64-bit serial,
  // ECDSA signature nonce) comes from env.CreateRandom(random_name) and the
  // validity from the wall clock OpenSSL reads — virtual in simulation (see
  // openssl_scope.h) — so the same seed gives the same certificate bytes.
  static absl::StatusOr<std::shared_ptr<const DtlsCertificate>> Generate(
      Env& env, absl::string_view random_name = "dtls-certificate",
      const DtlsCertificateOptions& options = {});

  // Loads a PEM certificate and its PEM private key (e.g. for interop with
  // a fixed identity). The key must match the certificate.
  static absl::StatusOr<std::shared_ptr<const DtlsCertificate>> FromPem(
      absl::string_view certificate_pem, absl::string_view private_key_pem);

  ~DtlsCertificate();
  DtlsCertificate(const DtlsCertificate&) = delete;
  DtlsCertificate& operator=(const DtlsCertificate&) = delete;

  // SHA-256 fingerprint, as put in SDP: fingerprint().ToString() is
  // "sha-256 AB:CD:...".
  const Fingerprint& fingerprint() const { return fingerprint_; }
  const std::vector<uint8_t>& der() const { return der_; }
  std::string CertificatePem() const;

  // Borrowed OpenSSL handles, for SSL_CTX_use_certificate/PrivateKey.
  X509* x509() const { return x509_; }
  EVP_PKEY* private_key() const { return key_; }

 private:
  DtlsCertificate(EVP_PKEY* key, X509* x509, std::vector<uint8_t> der, Fingerprint fingerprint);

  EVP_PKEY* key_;
  X509* x509_;
  std::vector<uint8_t> der_;
  Fingerprint fingerprint_;
};

}  // namespace rtcsim::dtls

#endif  // RTCSIM_STACK_DTLS_DTLS_CERTIFICATE_H_
