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
    : secret_(secret), value_size_(value_size) {
  // Up to 16 bodies, at most about 4 MiB of them per writer thread.
  uint32_t variants = 16;
  while (variants > 2 && uint64_t{variants} * value_size > (4u << 20)) {
    variants /= 2;
  }
  bodies_.resize(variants);
  for (uint32_t v = 0; v < variants; ++v) {
    std::vector<char>& body = bodies_[v];
    body.resize(value_size - kHeaderBytes);
    uint64_t word = secret.words[3] + v;
    for (size_t i = 0; i < body.size(); ++i) {
      if (i % 8 == 0) word = Mix64(word + i);
      body[i] = static_cast<char>(word >> (8 * (i % 8)));
    }
  }
}

void BenchCodec::Prepare(char* value, uint32_t variant) const {
  const std::vector<char>& body = bodies_[variant % bodies_.size()];
  std::memset(value, 0, kHeaderBytes);
  std::memcpy(value + kHeaderBytes, body.data(), body.size());
}

BenchCodec::Verdict BenchCodec::Check(uint64_t key, const char* value) const {
  uint64_t stored_key = LoadU64(value + kKeyOffset);
  uint64_t version = LoadU64(value + kVersionOffset);
  uint64_t mac = LoadU64(value + kMacOffset);
  const std::vector<char>& body = bodies_[version & (bodies_.size() - 1)];
  bool body_ok =
      std::memcmp(value + kHeaderBytes, body.data(), body.size()) == 0;
  if (stored_key == key && mac == Mac(secret_, key, version) && body_ok) {
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
  if (stored_key == key && WholeValue(key, version, value)) {
    return {Kind::kValid, version, 0};
  }
  if (stored_key != key && stored_key != 0 &&
      mac == Mac(secret_, stored_key, version)) {
    return {Kind::kForeign, version, stored_key};
  }
  // Two writes mixed, or a write caught half done over fresh (zero) bytes:
  // every 8-byte word is zero or belongs to a version near the ones the
  // value names.
  const uint64_t candidates[] = {version,     copy,     version - 1,
                                 version + 1, copy - 1, copy + 1};
  if (stored_key == key) {
    for (uint64_t candidate : candidates) {
      if (mac == Mac(secret_, key, candidate)) {
        return {Kind::kTorn, candidate, 0};
      }
    }
  }
  std::vector<std::vector<char>> encodings;
  for (uint64_t candidate : candidates) {
    if (candidate == 0) continue;
    encodings.emplace_back(value_size_ + 8, '\0');
    Encode(encodings.back().data(), key, candidate);
  }
  bool every_word_explained = !encodings.empty();
  uint64_t matched_version = 0;
  for (size_t offset = 0; offset < value_size_ && every_word_explained;
       offset += 8) {
    size_t n = value_size_ - offset < 8 ? value_size_ - offset : 8;
    bool explained = ZeroFrom(value + offset, 0, n);
    for (size_t c = 0; c < encodings.size() && !explained; ++c) {
      if (std::memcmp(value + offset, encodings[c].data() + offset, n) == 0) {
        explained = true;
        if (offset != kKeyOffset) {
          matched_version = LoadU64(encodings[c].data() + kVersionOffset);
        }
      }
    }
    every_word_explained = explained;
  }
  if (every_word_explained && matched_version != 0) {
    return {Kind::kTorn, matched_version, 0};
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
