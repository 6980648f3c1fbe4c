// Small, fast, deterministic building blocks for traces and integrity codes.
#ifndef JITSKIT_HARNESS_RNG_H_
#define JITSKIT_HARNESS_RNG_H_

#include <cstdint>

namespace jitskit::harness {

// A bijection on 64-bit integers (the splitmix64 finalizer): every output has
// exactly one input, so distinct record numbers give distinct keys.
inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// The multiplicative inverse of an odd number modulo 2^64 (Newton's method).
constexpr uint64_t InverseOdd(uint64_t odd) {
  uint64_t inverse = odd;
  for (int i = 0; i < 6; ++i) inverse *= 2 - odd * inverse;
  return inverse;
}

// The inverse of Mix64: maps a key back to its record number.
inline uint64_t UnMix64(uint64_t x) {
  x ^= (x >> 31) ^ (x >> 62);
  x *= InverseOdd(0x94d049bb133111ebULL);
  x ^= (x >> 27) ^ (x >> 54);
  x *= InverseOdd(0xbf58476d1ce4e5b9ULL);
  x ^= (x >> 30) ^ (x >> 60);
  return x;
}

// 64-bit FNV-1a over the 8 little-endian bytes of `value`, as YCSB scrambles
// zipfian item ranks.
inline uint64_t Fnv64(uint64_t value) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (int i = 0; i < 8; ++i) {
    hash ^= value & 0xff;
    hash *= 0x100000001b3ULL;
    value >>= 8;
  }
  return hash;
}

// Maps a uniform 64-bit value onto [0, n) without division.
inline uint64_t FastRange(uint64_t random, uint64_t n) {
  return static_cast<uint64_t>(
      (static_cast<unsigned __int128>(random) * n) >> 64);
}

// splitmix64: one add and one mix per number; good enough statistically for
// workload generation and trivially seekable from a seed.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return Mix64(state_);
  }
  // Uniform in [0, 1) with 53 bits of precision.
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  uint64_t Below(uint64_t n) { return FastRange(Next(), n); }

 private:
  uint64_t state_;
};

// Record number <-> key. Keys cover the whole 64-bit range and depend on the
// seed, so a store cannot tell hot records from key values or guess the keys
// of a run it has not seen.
class KeyMap {
 public:
  explicit KeyMap(uint64_t seed)
      : add_(Mix64(seed ^ 0x6a09e667f3bcc908ULL)),
        xor_(Mix64(seed ^ 0xbb67ae8584caa73bULL)) {}
  uint64_t KeyOf(uint64_t record) const { return Mix64(record + add_) ^ xor_; }
  uint64_t RecordOf(uint64_t key) const { return UnMix64(key ^ xor_) - add_; }

 private:
  uint64_t add_;
  uint64_t xor_;
};

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_RNG_H_
