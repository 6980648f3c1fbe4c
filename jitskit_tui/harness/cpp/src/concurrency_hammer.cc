#include "concurrency_hammer.h"

#include <algorithm>
#include <cstring>

#include "rng.h"
#include "store_session.h"

namespace jitskit::harness {
namespace {

// One key is hot at a time, so every read lands on the key being written;
// the focus cycles through enough keys to land on many slots, shards and
// cache-line offsets (a 32-byte value may tear only across a line).
constexpr size_t kHammerKeys = 64;
// Writes before the focus moves to the next key (and, after every key, the
// writer's role to the next thread).
constexpr uint64_t kWritesPerRound = 128;
// The phase's length, unless a failure ends it first. A count of reads
// that overlapped a write is no stand-in: against the store this phase
// exists for, whether the copies really overlapped depends on scheduling
// and on where each value sits, and a count-based stop let a torn store
// through about one run in a hundred.
constexpr uint64_t kBudgetNs = 700'000'000;
// Reads a reader makes between looks at the clock.
constexpr uint64_t kPollEvery = 256;

}  // namespace

HammerCodec::HammerCodec(const Secret& secret, uint32_t value_size)
    : salt_(Mix64(secret.words[3] ^ 0x2545f4914f6cdd1dULL)),
      value_size_(value_size) {}

void HammerCodec::Encode(char* value, uint64_t key, uint64_t version) const {
  uint64_t key_salt = KeySalt(key);
  uint64_t base = Mix64(version ^ key_salt);
  size_t words = full_words();
  for (size_t i = 0; i < words; ++i) {
    StoreU64(value + 8 * i, base + WordSalt(key_salt, i));
  }
  size_t tail = value_size_ - 8 * words;
  if (tail != 0) {
    uint64_t word = base + WordSalt(key_salt, words);
    std::memcpy(value + 8 * words, &word, tail);
  }
}

uint64_t HammerCodec::WordVersion(uint64_t key, const char* value,
                                  size_t index) const {
  uint64_t key_salt = KeySalt(key);
  return UnMix64(LoadU64(value + 8 * index) - WordSalt(key_salt, index)) ^
         key_salt;
}

bool HammerCodec::Whole(uint64_t key, uint64_t version,
                        const char* value) const {
  uint64_t key_salt = KeySalt(key);
  uint64_t base = Mix64(version ^ key_salt);
  size_t words = full_words();
  for (size_t i = 0; i < words; ++i) {
    if (LoadU64(value + 8 * i) != base + WordSalt(key_salt, i)) return false;
  }
  return TailIs(key, version, value);
}

bool HammerCodec::TailIs(uint64_t key, uint64_t version,
                         const char* value) const {
  size_t words = full_words();
  size_t tail = value_size_ - 8 * words;
  if (tail == 0) return true;
  uint64_t key_salt = KeySalt(key);
  uint64_t word = Mix64(version ^ key_salt) + WordSalt(key_salt, words);
  return std::memcmp(value + 8 * words, &word, tail) == 0;
}

TornReadHammer::TornReadHammer(const Config& config, KVStore* store,
                               const Secret& secret, FailureLog& failures)
    : config_(config),
      store_(store),
      codec_(secret, config.value_size),
      failures_(failures),
      threads_(config.threads),
      keys_(kHammerKeys),
      clock_(kBudgetNs) {
  SplitMix64 rng(secret.words[0] ^ 0x51ed270b27d1a5f3ULL);
  for (Register& reg : keys_) reg.key = rng.Next();
}

uint32_t TornReadHammer::WriterOf(uint64_t round) const {
  return static_cast<uint32_t>((round / kHammerKeys) % threads_);
}

std::string TornReadHammer::Who(uint32_t id) const {
  return "Read (thread " + std::to_string(id) + ", torn-read hammer)";
}

void TornReadHammer::Fail(const std::string& kind, const std::string& detail) {
  failures_.Add(kind, detail);
  stop_.Set();
}

void TornReadHammer::WriteRound(uint32_t id, uint64_t round,
                                std::vector<char>& buffer, Tally& tally) {
  Register& reg = keys_[round % kHammerKeys];
  for (uint64_t n = 0; n < kWritesPerRound && !stop_.Stopped(); ++n) {
    uint64_t op = reg.acked.load() + 1;
    // Encode first, so the window between begun and acked is the Upsert.
    codec_.Encode(buffer.data(), reg.key, op);
    reg.begun.store(op);
    Status status = store_->Upsert(reg.key, buffer.data());
    reg.acked.store(op);
    ++tally.writes;
    if (status != Status::kOk) {
      Fail("write failed", "Upsert (thread " + std::to_string(id) +
                               ", torn-read hammer) of key " + HexKey(reg.key) +
                               " returned " + StatusName(status) +
                               "; expected kOk");
      return;
    }
    if (n % 64 == 63 && clock_.Expired()) stop_.Set();
  }
  round_.store(round + 1);
}

void TornReadHammer::ReadOnce(uint32_t id, Register& reg,
                              std::vector<char>& buffer, Tally& tally) {
  ++tally.reads;
  uint64_t acked = reg.acked.load();
  Poison(buffer);
  Status status = store_->Read(reg.key, buffer.data());
  uint64_t begun = reg.begun.load();
  if (begun > acked) ++tally.overlapped;
  if (status == Status::kNotFound) {
    if (acked == 0) return;
    Fail("stale read", Who(id) + " of key " + HexKey(reg.key) +
                           " returned kNotFound after version " +
                           std::to_string(acked) +
                           " was acknowledged; expected that version or a "
                           "later one");
    return;
  }
  if (status != Status::kOk) {
    Fail("read failed", Who(id) + " of key " + HexKey(reg.key) +
                            " returned " + StatusName(status));
    return;
  }
  const char* value = buffer.data();
  uint64_t version = codec_.WordVersion(reg.key, value, 0);
  if (version >= 1 && version <= begun && codec_.Whole(reg.key, version, value)) {
    if (version < acked) {
      Fail("stale read", Who(id) + " of key " + HexKey(reg.key) +
                             " returned version " + std::to_string(version) +
                             " after version " +
                             std::to_string(acked) +
                             " was acknowledged; expected that version or a "
                             "later one");
    }
    return;
  }
  if (CaughtUntouched(value, codec_.value_size(), reg.key, Who(id),
                      failures_)) {
    stop_.Set();
    return;
  }
  Classify(id, reg, value, acked, begun);
}

void TornReadHammer::Classify(uint32_t id, const Register& reg,
                              const char* value, uint64_t acked,
                              uint64_t begun) {
  std::string key = HexKey(reg.key);
  uint32_t size = codec_.value_size();
  // Each full word's version, 0 when it names none written so far; the
  // tail, if any, gets the first of those versions it matches.
  std::vector<uint64_t> label;
  for (size_t i = 0; i < codec_.full_words(); ++i) {
    uint64_t v = codec_.WordVersion(reg.key, value, i);
    label.push_back(v >= 1 && v <= begun ? v : 0);
  }
  bool any = std::any_of(label.begin(), label.end(),
                         [](uint64_t v) { return v != 0; });
  if (size % 8 != 0) {
    uint64_t tail = 0;
    for (uint64_t v : label) {
      if (v != 0 && codec_.TailIs(reg.key, v, value)) {
        tail = v;
        break;
      }
    }
    label.push_back(tail);
  }
  std::string expected = "expected all " + std::to_string(size) +
                         " bytes of one version, from " +
                         std::to_string(acked) +
                         " (acknowledged before the read began) to " +
                         std::to_string(begun) + " (started by its end)";
  if (any) {
    std::string seen;
    int runs = 0;
    for (size_t i = 0; i < label.size();) {
      size_t j = i;
      while (j + 1 < label.size() && label[j + 1] == label[i]) ++j;
      if (++runs > 6) {
        seen += ", ...";
        break;
      }
      size_t last = std::min<size_t>(8 * j + 7, size - 1);
      seen += std::string(runs > 1 ? ", " : "") + "bytes " +
              std::to_string(8 * i) + "-" + std::to_string(last) +
              (label[i] != 0 ? " of version " + std::to_string(label[i])
                             : " of no version");
      i = j + 1;
    }
    Fail("torn read",
         Who(id) + " of key " + key + " returned a torn value: " + expected +
             "; seen " + seen +
             ". A Read must copy the value out atomically (under the key's "
             "lock, with a seqlock retry, or from a copy no writer changes), "
             "never while a writer overwrites it in place");
    return;
  }
  for (const Register& other : keys_) {
    if (&other == &reg) continue;
    uint64_t v = codec_.WordVersion(other.key, value, 0);
    if (v >= 1 && v <= other.begun.load() && codec_.Whole(other.key, v, value)) {
      Fail("foreign value", Who(id) + " of key " + key +
                                " returned version " + std::to_string(v) +
                                " of key " + HexKey(other.key) + "; " +
                                expected);
      return;
    }
  }
  Fail("fabricated value",
       Who(id) + " of key " + key + " returned " + std::to_string(size) +
           " bytes no Upsert wrote for it (none of its words is part of any "
           "version written so far); " + expected);
}

void TornReadHammer::Thread(uint32_t id) {
  std::vector<char> buffer(config_.value_size);
  Tally tally;
  while (!stop_.Stopped()) {
    uint64_t round = round_.load();
    if (WriterOf(round) == id) {
      WriteRound(id, round, buffer, tally);
      continue;
    }
    ReadOnce(id, keys_[round % kHammerKeys], buffer, tally);
    if (tally.reads % kPollEvery == 0 && clock_.Expired()) stop_.Set();
  }
  reads_.fetch_add(tally.reads);
  overlapped_.fetch_add(tally.overlapped);
  writes_.fetch_add(tally.writes);
}

std::string TornReadHammer::Run() {
  clock_.Restart();
  RunPhaseThreads(store_, threads_, config_.cpus,
                  [this](uint32_t id) { Thread(id); });
  uint64_t reads = reads_.load();
  return "torn-read hammer: " + std::to_string(reads) + " reads of " +
         std::to_string(kHammerKeys) + " keys under " +
         std::to_string(writes_.load()) + " rewrites (" +
         Percent(overlapped_.load(), reads) +
         " during a write of the key read), every one whole and fresh";
}

}  // namespace jitskit::harness
