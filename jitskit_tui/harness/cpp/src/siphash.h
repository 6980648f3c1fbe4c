// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed pseudo-random function
// with a 128-bit key. The durability gate codes its values with it, so that
// seeing any number of values does not help to make one more without the key.
#ifndef JITSKIT_HARNESS_SIPHASH_H_
#define JITSKIT_HARNESS_SIPHASH_H_

#include <cstddef>
#include <cstdint>

namespace jitskit::harness {

struct SipKey {
  uint64_t k0;
  uint64_t k1;
};

// The 64-bit SipHash-2-4 of `size` bytes at `data`.
uint64_t SipHash24(const SipKey& key, const void* data, size_t size);

// SipHash-2-4 of the 24 bytes a, b, c (each little-endian).
uint64_t SipHash24Words(const SipKey& key, uint64_t a, uint64_t b, uint64_t c);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_SIPHASH_H_
