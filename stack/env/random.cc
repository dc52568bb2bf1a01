#include "stack/env/random.h"

#include <cmath>

#include "absl/numeric/int128.h"

namespace rtcsim {

Probability Probability::FromDouble(double p) {
  if (!(p > 0)) return Never();
  if (p >= 1) return Always();
  return Probability(static_cast<uint64_t>(std::llround(p * 4294967296.0)));
}

Random::Random(uint64_t seed) {
  uint64_t x = seed;
  for (uint64_t& s : s_) {
    s = Mix64(x);
    x += 0x9e3779b97f4a7c15ULL;
  }
}

Random Random::Derive(uint64_t seed, absl::string_view name) {
  return Random(StableHash(seed, name));
}

static inline uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t Random::Next64() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

uint64_t Random::Uniform(uint64_t n) {
  absl::uint128 m = absl::uint128(Next64()) * n;
  uint64_t low = absl::Uint128Low64(m);
  if (low < n) {
    const uint64_t threshold = -n % n;
    while (low < threshold) {
      m = absl::uint128(Next64()) * n;
      low = absl::Uint128Low64(m);
    }
  }
  return absl::Uint128High64(m);
}

int64_t Random::UniformRange(int64_t lo, int64_t hi) {
  uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span == UINT64_MAX) return static_cast<int64_t>(Next64());
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + Uniform(span + 1));
}

uint64_t StableHash(uint64_t seed, absl::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL ^ Mix64(seed);
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return Mix64(h);
}

}  // namespace rtcsim
