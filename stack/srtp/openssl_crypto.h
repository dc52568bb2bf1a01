// OpenSSL-backed crypto for libsrtp2 (RFC 3711, RFC 6188, RFC 7714).
//
// Debian builds libsrtp2 against NSS, and NSS is the bottleneck of the SRTP
// hot path: about 5x slower than OpenSSL 3.0 for AES-CM + HMAC-SHA1 and 2x
// for AES-GCM on the development machines (benchmarks/RESULTS.md). libsrtp2
// keeps its crypto behind a small "crypto kernel" of swappable cipher and
// auth types, so InstallOpenSslCrypto() swaps these in:
//
//   SRTP_AES_ICM_128 / _192 / _256   AES counter mode (RFC 3711 §4.1.1,
//                                    RFC 6188) on EVP AES; also the
//                                    key-derivation PRF (RFC 3711 §4.3.3)
//   SRTP_AES_GCM_128 / _256          AEAD AES-GCM (RFC 7714) on EVP AES-GCM
//   SRTP_HMAC_SHA1                   HMAC-SHA1 (RFC 2104, RFC 3711 §4.2.1)
//
// libsrtp2 still does everything else: packet framing, IV formation, key
// derivation, rollover counters and replay protection. Each replacement
// ships known-answer vectors (RFC 3711 Appendix B, RFC 7714 §16-17, NIST
// SP 800-38A, RFC 2202), and libsrtp2 refuses to install a type unless it
// passes both its own vectors and those of the type it replaces.
//
// The kernel is process-global. Sessions (srtp_t) keep the implementation
// they were created with, so install before calling srtp_create(). Note that
// srtp_shutdown() followed by srtp_init() restores the stock NSS types;
// call InstallOpenSslCrypto() again after that.
#ifndef RTCSIM_STACK_SRTP_OPENSSL_CRYPTO_H_
#define RTCSIM_STACK_SRTP_OPENSSL_CRYPTO_H_

#include <srtp2/auth.h>
#include <srtp2/cipher.h>

#include "absl/status/status.h"

namespace rtcsim::srtp {

// Initialises libsrtp2 if it is not yet (srtp_init) and replaces the
// cipher and auth types listed above. Idempotent and thread-safe against
// itself; it must not race srtp_init/srtp_shutdown called elsewhere. Fails
// with Internal if libsrtp2 rejects a type (a failed self-test).
absl::Status InstallOpenSslCrypto();

// True if libsrtp2's crypto kernel currently uses every type listed above.
bool OpenSslCryptoInstalled();

// The cipher type installed for `id` (SRTP_AES_ICM_128, ...), or nullptr
// for an id this file does not implement. For tests and benchmarks that
// drive a cipher directly (srtp_cipher_type_alloc and friends).
const srtp_cipher_type_t* OpenSslCipherType(srtp_cipher_type_id_t id);

// The HMAC-SHA1 auth type installed for SRTP_HMAC_SHA1.
const srtp_auth_type_t& OpenSslHmacSha1();

}  // namespace rtcsim::srtp

#endif  // RTCSIM_STACK_SRTP_OPENSSL_CRYPTO_H_
