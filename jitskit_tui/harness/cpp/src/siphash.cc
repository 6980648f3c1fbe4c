#include "siphash.h"

#include <cstring>

namespace jitskit::harness {
namespace {

inline uint64_t Rotl(uint64_t x, int bits) {
  return (x << bits) | (x >> (64 - bits));
}

struct SipState {
  uint64_t v0, v1, v2, v3;

  explicit SipState(const SipKey& key)
      : v0(key.k0 ^ 0x736f6d6570736575ULL),
        v1(key.k1 ^ 0x646f72616e646f6dULL),
        v2(key.k0 ^ 0x6c7967656e657261ULL),
        v3(key.k1 ^ 0x7465646279746573ULL) {}

  void Round() {
    v0 += v1;
    v1 = Rotl(v1, 13);
    v1 ^= v0;
    v0 = Rotl(v0, 32);
    v2 += v3;
    v3 = Rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = Rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = Rotl(v1, 17);
    v1 ^= v2;
    v2 = Rotl(v2, 32);
  }

  void Absorb(uint64_t word) {
    v3 ^= word;
    Round();
    Round();
    v0 ^= word;
  }

  uint64_t Finish() {
    v2 ^= 0xff;
    for (int i = 0; i < 4; ++i) Round();
    return v0 ^ v1 ^ v2 ^ v3;
  }
};

uint64_t LoadLittle(const unsigned char* bytes, size_t count) {
  uint64_t word = 0;
  for (size_t i = 0; i < count; ++i) word |= uint64_t{bytes[i]} << (8 * i);
  return word;
}

}  // namespace

uint64_t SipHash24(const SipKey& key, const void* data, size_t size) {
  SipState state(key);
  const auto* bytes = static_cast<const unsigned char*>(data);
  size_t whole = size - size % 8;
  for (size_t at = 0; at < whole; at += 8) state.Absorb(LoadLittle(bytes + at, 8));
  uint64_t last = (uint64_t{size} & 0xff) << 56;
  last |= LoadLittle(bytes + whole, size - whole);
  state.Absorb(last);
  return state.Finish();
}

uint64_t SipHash24Words(const SipKey& key, uint64_t a, uint64_t b, uint64_t c) {
  SipState state(key);
  state.Absorb(a);
  state.Absorb(b);
  state.Absorb(c);
  state.Absorb(uint64_t{24} << 56);
  return state.Finish();
}

}  // namespace jitskit::harness
