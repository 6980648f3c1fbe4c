// The durability gate's values. Only the durability supervisor, a process
// that never links the store, holds their key; the store's processes see
// values and nothing else. Layout of a value (value_size >= 32 bytes):
//   [0, 8)   the version (where read-modify-write keeps its counter)
//   [8, 16)  the key it was written for
//   [16, 24) the version
//   [24, 32) SipHash-2-4 of (key, version) under the supervisor's key
//   [32, ..) words drawn from the MAC, so a value mixed from two writes shows
// Making a valid value for a (key, version) the store was never given means
// forging SipHash without its key.
#ifndef JITSKIT_HARNESS_SEALED_VALUES_H_
#define JITSKIT_HARNESS_SEALED_VALUES_H_

#include <cstdint>

#include "siphash.h"

namespace jitskit::harness {

class SealedValues {
 public:
  enum class Kind { kValid, kTorn, kForeign, kFabricated };
  struct Verdict {
    Kind kind;
    uint64_t version;    // kValid, kTorn, kForeign: the version it names
    uint64_t other_key;  // kForeign: whose value it is
  };

  // A fresh key from getrandom(2).
  explicit SealedValues(uint32_t value_size);
  SealedValues(const SipKey& key, uint32_t value_size);
  ~SealedValues();
  SealedValues(const SealedValues&) = delete;
  SealedValues& operator=(const SealedValues&) = delete;

  void Encode(char* value, uint64_t key, uint64_t version) const;
  // What a value read back for `key` is: a whole value written for it, part
  // of one (torn), another key's, or none the supervisor ever made.
  Verdict Classify(uint64_t key, const char* value) const;
  uint32_t value_size() const { return value_size_; }

 private:
  uint64_t Mac(uint64_t key, uint64_t version) const;
  bool TailMatches(uint64_t mac, const char* value) const;

  SipKey key_;
  uint32_t value_size_;
};

const char* SealedKindName(SealedValues::Kind kind);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_SEALED_VALUES_H_
