#include "sealed_values.h"

#include <string.h>

#include <cstring>

#include "integrity.h"
#include "rng.h"

namespace jitskit::harness {
namespace {

// Domain separation: the MAC input names what it is for.
constexpr uint64_t kMacDomain = 0x6a69746b69742d64ULL;  // "jitkit-d"

uint64_t TailWord(uint64_t mac, size_t index) {
  return Mix64(mac + (index + 1) * 0x9e3779b97f4a7c15ULL);
}

}  // namespace

SealedValues::SealedValues(uint32_t value_size) : value_size_(value_size) {
  Secret drawn = DrawSecret();
  key_ = {drawn.words[0], drawn.words[1]};
  // Leave no second copy of the key on the stack.
  explicit_bzero(&drawn, sizeof(drawn));
}

SealedValues::SealedValues(const SipKey& key, uint32_t value_size)
    : key_(key), value_size_(value_size) {}

SealedValues::~SealedValues() { explicit_bzero(&key_, sizeof(key_)); }

uint64_t SealedValues::Mac(uint64_t key, uint64_t version) const {
  return SipHash24Words(key_, kMacDomain, key, version);
}

void SealedValues::Encode(char* value, uint64_t key, uint64_t version) const {
  uint64_t mac = Mac(key, version);
  StoreU64(value + kCounterOffset, version);
  StoreU64(value + kKeyOffset, key);
  StoreU64(value + kVersionOffset, version);
  StoreU64(value + kMacOffset, mac);
  for (size_t offset = kHeaderBytes, i = 0; offset < value_size_;
       offset += 8, ++i) {
    uint64_t word = TailWord(mac, i);
    size_t n = value_size_ - offset < 8 ? value_size_ - offset : 8;
    std::memcpy(value + offset, &word, n);
  }
}

bool SealedValues::TailMatches(uint64_t mac, const char* value) const {
  for (size_t offset = kHeaderBytes, i = 0; offset < value_size_;
       offset += 8, ++i) {
    uint64_t word = TailWord(mac, i);
    size_t n = value_size_ - offset < 8 ? value_size_ - offset : 8;
    if (std::memcmp(value + offset, &word, n) != 0) return false;
  }
  return true;
}

SealedValues::Verdict SealedValues::Classify(uint64_t key,
                                             const char* value) const {
  uint64_t counter = LoadU64(value + kCounterOffset);
  uint64_t stored_key = LoadU64(value + kKeyOffset);
  uint64_t version = LoadU64(value + kVersionOffset);
  uint64_t mac = LoadU64(value + kMacOffset);
  if (stored_key == key && mac == Mac(key, version)) {
    if (counter == version && TailMatches(mac, value)) {
      return {Kind::kValid, version, 0};
    }
    return {Kind::kTorn, version, 0};
  }
  if (stored_key != key && mac == Mac(stored_key, version)) {
    return {Kind::kForeign, version, stored_key};
  }
  return {Kind::kFabricated, version, 0};
}

const char* SealedKindName(SealedValues::Kind kind) {
  switch (kind) {
    case SealedValues::Kind::kValid:
      return "valid";
    case SealedValues::Kind::kTorn:
      return "torn";
    case SealedValues::Kind::kForeign:
      return "foreign";
    case SealedValues::Kind::kFabricated:
      return "fabricated";
  }
  return "?";
}

}  // namespace jitskit::harness
