#include "integrity.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "rng.h"

namespace jitskit::harness {

Secret DrawSecret() {
  Secret secret{};
  auto* bytes = reinterpret_cast<char*>(secret.words);
  size_t filled = 0;
  while (filled < sizeof(secret.words)) {
    ssize_t got = getrandom(bytes + filled, sizeof(secret.words) - filled, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      std::fprintf(stderr,
                   "jitskit-harness: getrandom failed (errno %d); cannot draw "
                   "the integrity secret\n",
                   errno);
      std::abort();
    }
    filled += static_cast<size_t>(got);
  }
  return secret;
}

std::string SecretToHex(const Secret& secret) {
  std::string hex;
  char word[17];
  for (uint64_t value : secret.words) {
    std::snprintf(word, sizeof(word), "%016llx",
                  static_cast<unsigned long long>(value));
    hex += word;
  }
  return hex;
}

bool SecretFromHex(const std::string& hex, Secret* secret) {
  if (hex.size() != 64) return false;
  for (int i = 0; i < 4; ++i) {
    std::string part = hex.substr(static_cast<size_t>(i) * 16, 16);
    char* end = nullptr;
    secret->words[i] = std::strtoull(part.c_str(), &end, 16);
    if (*end != '\0') return false;
  }
  return true;
}

bool ZeroFrom(const char* value, size_t from, size_t size) {
  for (size_t i = from; i < size; ++i) {
    if (value[i] != 0) return false;
  }
  return true;
}

BenchCodec::BenchCodec(const Secret& secret, uint32_t value_size)
    : secret_(secret), value_size_(value_size), tail_(value_size - kHeaderBytes) {
  uint64_t word = secret.words[3];
  for (size_t i = 0; i < tail_.size(); ++i) {
    if (i % 8 == 0) word = Mix64(word + i);
    tail_[i] = static_cast<char>(word >> (8 * (i % 8)));
  }
}

void BenchCodec::Prepare(char* value) const {
  std::memset(value, 0, kHeaderBytes);
  std::memcpy(value + kHeaderBytes, tail_.data(), tail_.size());
}

BenchCodec::Verdict BenchCodec::Check(uint64_t key, const char* value) const {
  uint64_t stored_key = LoadU64(value + kKeyOffset);
  uint64_t version = LoadU64(value + kVersionOffset);
  uint64_t mac = LoadU64(value + kMacOffset);
  bool tail_ok =
      std::memcmp(value + kHeaderBytes, tail_.data(), tail_.size()) == 0;
  if (stored_key == key && mac == Mac(secret_, key, version) && tail_ok) {
    return Verdict::kValid;
  }
  if (ZeroFrom(value, kKeyOffset, value_size_)) return Verdict::kZeroFilled;
  if (stored_key != key && mac == Mac(secret_, stored_key, version)) {
    return Verdict::kForeign;
  }
  return Verdict::kCorrupt;
}

GateCodec::GateCodec(const Secret& secret, uint32_t value_size)
    : secret_(secret), value_size_(value_size) {}

uint64_t GateCodec::TailWord(uint64_t key, uint64_t version,
                             size_t index) const {
  return Mix64(key ^ Mix64(version * 0x9e3779b97f4a7c15ULL + index) ^
               secret_.words[2]);
}

void GateCodec::Encode(char* value, uint64_t key, uint64_t version) const {
  StoreU64(value + kCounterOffset, version);
  StoreU64(value + kKeyOffset, key);
  StoreU64(value + kVersionOffset, version);
  StoreU64(value + kMacOffset, Mac(secret_, key, version));
  for (size_t offset = kHeaderBytes, i = 0; offset < value_size_;
       offset += 8, ++i) {
    uint64_t word = TailWord(key, version, i);
    size_t n = value_size_ - offset < 8 ? value_size_ - offset : 8;
    std::memcpy(value + offset, &word, n);
  }
}

bool GateCodec::WholeValue(uint64_t key, uint64_t version,
                           const char* value) const {
  if (LoadU64(value + kCounterOffset) != version ||
      LoadU64(value + kVersionOffset) != version ||
      LoadU64(value + kMacOffset) != Mac(secret_, key, version)) {
    return false;
  }
  for (size_t offset = kHeaderBytes, i = 0; offset < value_size_;
       offset += 8, ++i) {
    uint64_t word = TailWord(key, version, i);
    size_t n = value_size_ - offset < 8 ? value_size_ - offset : 8;
    if (std::memcmp(value + offset, &word, n) != 0) return false;
  }
  return true;
}

GateCodec::Decoded GateCodec::Decode(uint64_t key, const char* value) const {
  uint64_t stored_key = LoadU64(value + kKeyOffset);
  uint64_t version = LoadU64(value + kVersionOffset);
  uint64_t copy = LoadU64(value + kCounterOffset);
  uint64_t mac = LoadU64(value + kMacOffset);
  if (stored_key != key) {
    if (mac == Mac(secret_, stored_key, version)) {
      return {Kind::kForeign, version, stored_key};
    }
    return {Kind::kFabricated, version, 0};
  }
  if (WholeValue(key, version, value)) return {Kind::kValid, version, 0};
  // Parts of the value carry a genuine code for a version near the ones it
  // names: two writes were mixed, not a value made up.
  const uint64_t candidates[] = {version,     copy,     version - 1,
                                 version + 1, copy - 1, copy + 1};
  for (uint64_t candidate : candidates) {
    if (mac == Mac(secret_, key, candidate)) {
      return {Kind::kTorn, candidate, 0};
    }
  }
  return {Kind::kFabricated, version, 0};
}

const char* KindName(GateCodec::Kind kind) {
  switch (kind) {
    case GateCodec::Kind::kValid:
      return "valid";
    case GateCodec::Kind::kForeign:
      return "foreign";
    case GateCodec::Kind::kTorn:
      return "torn";
    case GateCodec::Kind::kFabricated:
      return "fabricated";
  }
  return "?";
}

}  // namespace jitskit::harness
