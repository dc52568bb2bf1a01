#include "stack/dtls/openssl_scope.h"

// RAND_METHOD and RAND_set_rand_method are deprecated in 3.0 (see the header
// for why we still use them); keep the declarations visible.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/rand.h>

#include <cstring>

#include "absl/base/call_once.h"

namespace rtcsim::dtls {
namespace {

constinit thread_local Random* tls_random = nullptr;
constinit thread_local uint64_t tls_bytes_served = 0;

// Fills from the active scope's stream, 8 bytes per draw (little-endian), so
// the bytes depend only on the stream and the sequence of requests.
int ScopedBytes(unsigned char* buf, int num) {
  if (num < 0) return 0;
  Random* random = tls_random;
  if (random == nullptr) return RAND_OpenSSL()->bytes(buf, num);
  size_t n = static_cast<size_t>(num);
  tls_bytes_served += n;
  while (n > 0) {
    uint64_t v = random->Next64();
    size_t chunk = n < 8 ? n : 8;
    for (size_t i = 0; i < chunk; ++i) buf[i] = static_cast<unsigned char>(v >> (8 * i));
    buf += chunk;
    n -= chunk;
  }
  return 1;
}

// Seeding input is meaningless for a seeded stream; outside a scope it goes
// to OpenSSL's DRBG as usual.
int ScopedSeed(const void* buf, int num) {
  if (tls_random != nullptr) return 1;
  return RAND_OpenSSL()->seed(buf, num);
}

int ScopedAdd(const void* buf, int num, double randomness) {
  if (tls_random != nullptr) return 1;
  return RAND_OpenSSL()->add(buf, num, randomness);
}

int ScopedStatus() {
  if (tls_random != nullptr) return 1;
  return RAND_OpenSSL()->status();
}

const RAND_METHOD kScopedRandMethod = {
    ScopedSeed,   // seed
    ScopedBytes,  // bytes
    nullptr,      // cleanup
    ScopedAdd,    // add
    ScopedBytes,  // pseudorand
    ScopedStatus,
};

absl::once_flag install_once;

}  // namespace

void InstallScopedRandMethod() {
  absl::call_once(install_once, [] { RAND_set_rand_method(&kScopedRandMethod); });
}

OpenSslScope::OpenSslScope(Timestamp now, Random& random) : clock_(now), previous_(tls_random) {
  InstallScopedRandMethod();
  tls_random = &random;
}

OpenSslScope::~OpenSslScope() { tls_random = previous_; }

uint64_t OpenSslScope::bytes_served() { return tls_bytes_served; }

}  // namespace rtcsim::dtls
