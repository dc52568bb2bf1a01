// Makes OpenSSL deterministic in simulation (../shared/DESIGN.md §4).
//
// OpenSSL draws randomness from its process-wide RAND (key generation, ECDSA
// nonces, DTLS client/server randoms, ECDHE keys, AEAD explicit nonces,
// session-ticket keys) and reads the wall clock itself (certificate validity,
// the DTLS retransmission timer). Every call this package makes into OpenSSL
// therefore runs inside an OpenSslScope, which
//   - points OpenSSL's randomness at a seeded rtcsim::Random stream drawn
//     from the Env (a process-wide RAND_METHOD, installed once, serves the
//     calling thread's active scope), and
//   - sets the thread's virtual wall clock to the Env's time
//     (stack/env/virtual_wall_clock.h), which simulation binaries serve to
//     libssl/libcrypto through //simnet/interpose:libc_time_interpose.
//
// With a simnet Env both come from the run's seed and virtual time, so the
// same seed gives byte-identical certificates and handshakes. With RealEnv
// the Random is seeded from OS entropy and no interposer is linked, so real
// runs stay random and use the real clock. OpenSSL calls made outside any
// scope (other code in the process) get OpenSSL's own DRBG, as usual.
//
// RAND_set_rand_method is deprecated in OpenSSL 3.0 but still honoured by
// RAND_bytes_ex/RAND_priv_bytes_ex, which is where libssl and the default
// provider get their randomness; openssl_scope_test proves that key
// generation, ECDSA signing and the DTLS randoms all go through it.
#ifndef RTCSIM_STACK_DTLS_OPENSSL_SCOPE_H_
#define RTCSIM_STACK_DTLS_OPENSSL_SCOPE_H_

#include <cstdint>

#include "stack/env/random.h"
#include "stack/env/time.h"
#include "stack/env/virtual_wall_clock.h"

namespace rtcsim::dtls {

// Installs the scope-aware RAND_METHOD (idempotent, thread-safe). Called by
// every OpenSslScope; exposed for tests.
void InstallScopedRandMethod();

class OpenSslScope {
 public:
  // `random` must outlive the scope. Scopes nest (the innermost wins).
  OpenSslScope(Timestamp now, Random& random);
  ~OpenSslScope();
  OpenSslScope(const OpenSslScope&) = delete;
  OpenSslScope& operator=(const OpenSslScope&) = delete;

  // Bytes OpenSSL drew from scopes on this thread so far (diagnostics).
  static uint64_t bytes_served();

 private:
  VirtualWallClockScope clock_;
  Random* previous_;
};

}  // namespace rtcsim::dtls

#endif  // RTCSIM_STACK_DTLS_OPENSSL_SCOPE_H_
