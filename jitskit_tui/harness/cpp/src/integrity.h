// Integrity-coded values. Every value the harness writes carries, in its first
// 32 bytes:
//   [0, 8)   the read-modify-write counter (the contract's little-endian u64)
//   [8, 16)  the key it was written for
//   [16, 24) a version
//   [24, 32) a MAC of (key, version) keyed by a secret drawn at run time
// so a store cannot fabricate a valid value without having stored one, nor
// pass off another key's value as this key's.
#ifndef JITSKIT_HARNESS_INTEGRITY_H_
#define JITSKIT_HARNESS_INTEGRITY_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace jitskit::harness {

constexpr size_t kCounterOffset = 0;
constexpr size_t kKeyOffset = 8;
constexpr size_t kVersionOffset = 16;
constexpr size_t kMacOffset = 24;
constexpr size_t kHeaderBytes = 32;

inline uint64_t LoadU64(const char* bytes) {
  uint64_t value;
  std::memcpy(&value, bytes, sizeof(value));
  return value;
}
inline void StoreU64(char* bytes, uint64_t value) {
  std::memcpy(bytes, &value, sizeof(value));
}

struct Secret {
  uint64_t words[4];
};

// 256 bits from getrandom(2).
Secret DrawSecret();
std::string SecretToHex(const Secret& secret);
bool SecretFromHex(const std::string& hex, Secret* secret);

// The high and low halves of a 64x64-bit product folded together.
inline uint64_t Fold128(uint64_t a, uint64_t b) {
  unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

inline uint64_t Mac(const Secret& s, uint64_t key, uint64_t version) {
  uint64_t inner = Fold128(key ^ s.words[0], version ^ s.words[1]);
  return Fold128(inner ^ s.words[2], (key + version) ^ s.words[3]);
}

// True when bytes [from, size) are all zero.
bool ZeroFrom(const char* value, size_t from, size_t size);

// Values for the benchmark: each write stamps bytes 8..31 into one of a few
// prepared buffers whose bodies differ (the body is chosen by the version's
// low bits), so writing a value costs a few nanoseconds, yet a store that
// copies only part of a value leaves a body that does not match its header.
class BenchCodec {
 public:
  enum class Verdict { kValid, kZeroFilled, kForeign, kCorrupt };

  BenchCodec(const Secret& secret, uint32_t value_size);
  // How many bodies there are; a power of two.
  uint32_t variants() const { return static_cast<uint32_t>(bodies_.size()); }
  // Fills a value buffer's body for `variant`; once per buffer.
  void Prepare(char* value, uint32_t variant) const;
  // The buffer prepared for `version` must be bodies[version % variants()].
  void Stamp(char* value, uint64_t key, uint64_t version) const {
    StoreU64(value + kKeyOffset, key);
    StoreU64(value + kVersionOffset, version);
    StoreU64(value + kMacOffset, Mac(secret_, key, version));
  }
  // kZeroFilled: all bytes past the counter are zero, as a value created by a
  // read-modify-write of a missing key.
  Verdict Check(uint64_t key, const char* value) const;
  uint32_t value_size() const { return value_size_; }

 private:
  Secret secret_;
  uint32_t value_size_;
  std::vector<std::vector<char>> bodies_;
};

// Values for the gates: every byte depends on (key, version), so a value
// assembled from parts of two writes (torn) is told apart from a whole one.
class GateCodec {
 public:
  enum class Kind { kValid, kForeign, kTorn, kFabricated };
  struct Decoded {
    Kind kind;
    uint64_t version;    // the value's version (kValid, kForeign, kTorn)
    uint64_t other_key;  // whose value it is (kForeign)
  };

  GateCodec(const Secret& secret, uint32_t value_size);
  void Encode(char* value, uint64_t key, uint64_t version) const;
  Decoded Decode(uint64_t key, const char* value) const;
  uint32_t value_size() const { return value_size_; }
  const Secret& secret() const { return secret_; }

 private:
  bool WholeValue(uint64_t key, uint64_t version, const char* value) const;
  uint64_t TailWord(uint64_t key, uint64_t version, size_t index) const;

  Secret secret_;
  uint32_t value_size_;
};

const char* KindName(GateCodec::Kind kind);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_INTEGRITY_H_
