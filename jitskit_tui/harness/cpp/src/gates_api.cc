// gate-api: keys, writes, deletes, read-modify-write and reopen checks.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api_gate.h"
#include "gates.h"
#include "jsonout.h"
#include "store_session.h"

namespace jitskit::harness {

std::vector<uint64_t> ApiGate::ChooseKeys() {
  // Enough keys that a store keeping only recent or frequently read writes
  // is caught, bounded so the model stays small for large values.
  uint64_t count = (64ULL << 20) / config_.value_size;
  count = std::max<uint64_t>(64, std::min<uint64_t>(8192, count));
  std::vector<uint64_t> keys = {0,
                                UINT64_MAX,
                                1,
                                UINT64_MAX - 1,
                                1ULL << 63,
                                (1ULL << 63) - 1,
                                0xffffffffULL,
                                0xffffffff00000000ULL};
  std::map<uint64_t, bool> seen;
  for (uint64_t key : keys) seen[key] = true;
  while (keys.size() < count) {
    uint64_t base = rng_.Next();
    // Runs of adjacent keys, so scans see neighbours differing in the low bit.
    for (uint64_t i = 0; i < 4 && keys.size() < count; ++i) {
      if (!seen[base + i]) {
        seen[base + i] = true;
        keys.push_back(base + i);
      }
    }
  }
  return keys;
}

void ApiGate::Put(uint64_t key, uint64_t version) {
  std::string value(config_.value_size, '\0');
  codec_.Encode(&value[0], key, version);
  versions_[key] = version;
  PutBytes(key, value);
}

void ApiGate::PutBytes(uint64_t key, const std::string& bytes) {
  Status status = store_->Upsert(key, bytes.data());
  if (status != Status::kOk) {
    failures_.Add("upsert failed", "Upsert of key " + HexKey(key) +
                                       " returned " + StatusName(status) +
                                       "; it must return kOk");
  }
  model_[key] = bytes;
}

std::string ApiGate::Describe(uint64_t key, const std::string& got,
                              const std::string& expected) const {
  size_t size = config_.value_size;
  if (got.compare(8, size - 8, expected, 8, size - 8) == 0) {
    return "counter bytes 0-7 hold " +
           std::to_string(LoadU64(got.data())) + ", expected " +
           std::to_string(LoadU64(expected.data()));
  }
  if (got == std::string(size, kGuardByte)) {
    return "kOk but left the output buffer untouched (it still holds the "
           "fill bytes the harness put there; fabricated value)";
  }
  GateCodec::Decoded decoded = codec_.Decode(key, got.data());
  switch (decoded.kind) {
    case GateCodec::Kind::kValid: {
      auto it = versions_.find(key);
      uint64_t want = it == versions_.end() ? 0 : it->second;
      return "version " + std::to_string(decoded.version) +
             " where version " + std::to_string(want) + " was written last";
    }
    case GateCodec::Kind::kForeign:
      return "the value written for key " + HexKey(decoded.other_key) +
             " (foreign value)";
    case GateCodec::Kind::kTorn:
      return "a value mixing two writes (torn)";
    case GateCodec::Kind::kFabricated:
      break;
  }
  if (ZeroFrom(got.data(), 0, size)) return "all zero bytes";
  return "bytes never written for it (integrity code mismatch: fabricated "
         "or corrupted)";
}

void ApiGate::ReadExpect(const char* kind, uint64_t key,
                         const std::string& when) {
  std::string buffer = Buffer();
  Status status = store_->Read(key, &buffer[0]);
  if (!GuardIntact(buffer)) {
    failures_.Add("buffer overrun", "Read of key " + HexKey(key) +
                                        " wrote past value_size (" +
                                        std::to_string(config_.value_size) +
                                        ") bytes of the output buffer");
  }
  auto it = model_.find(key);
  std::string where = "key " + HexKey(key) + " " + when;
  if (it == model_.end()) {
    if (status == Status::kNotFound) return;
    failures_.Add(kind, "Read of " + where + " returned " + StatusName(status) +
                            "; expected kNotFound");
    return;
  }
  if (status != Status::kOk) {
    failures_.Add(kind, "Read of " + where + " returned " + StatusName(status) +
                            "; expected kOk with the last value written");
    return;
  }
  std::string got = buffer.substr(0, config_.value_size);
  if (got != it->second) {
    failures_.Add(kind, "Read of " + where + " returned " +
                            Describe(key, got, it->second));
  }
}

void ApiGate::CheckMissingKeys(const std::vector<uint64_t>& keys) {
  // A durable store recovers what data_dir holds, so this also needs a fresh
  // data directory.
  std::string when = config_.durability == Durability::kNone
                         ? "(never written)"
                         : "(never written; data_dir must start empty)";
  for (size_t i = 0; i < keys.size() && i < 64; ++i) {
    ReadExpect("missing key found", keys[i], when);
  }
}

void ApiGate::ReadAll(const char* kind, const std::vector<uint64_t>& keys) {
  std::vector<uint64_t> order = keys;
  for (size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[rng_.Below(i)]);
  }
  std::string when = "(written earlier, re-read after " +
                     std::to_string(keys.size()) + " other operations)";
  for (uint64_t key : order) ReadExpect(kind, key, when);
}

void ApiGate::CheckWrites(const std::vector<uint64_t>& keys) {
  for (uint64_t key : keys) {
    Put(key, 1);
    ReadExpect("read after write", key, "right after its Upsert");
  }
  // Most keys are read once, long after their only write: a store that keeps
  // just recent or popular writes loses them here.
  ReadAll("dropped write", keys);
  for (size_t i = 0; i < keys.size(); i += 2) Put(keys[i], 2);
  ReadAll("overwrite lost", keys);
}

void ApiGate::CheckDeletes(const std::vector<uint64_t>& keys) {
  // Every fourth key, plus 2^64-1 (keys[0] is 0, keys[1] is 2^64-1).
  std::vector<uint64_t> victims = {keys[1]};
  for (size_t i = 0; i < keys.size(); i += 4) victims.push_back(keys[i]);
  for (uint64_t key : victims) {
    Status status = store_->Delete(key);
    if (status != Status::kOk) {
      failures_.Add("delete failed", "Delete of existing key " + HexKey(key) +
                                         " returned " + StatusName(status) +
                                         "; expected kOk");
    }
    model_.erase(key);
    deleted_.push_back(key);
    ReadExpect("delete ignored", key, "right after its Delete");
    status = store_->Delete(key);
    if (status != Status::kOk && status != Status::kNotFound) {
      failures_.Add("delete failed", "Delete of already deleted key " +
                                         HexKey(key) + " returned " +
                                         StatusName(status) +
                                         "; expected kOk or kNotFound");
    }
  }
  for (size_t i = 0; i < deleted_.size(); i += 2) {
    Put(deleted_[i], 3);
    ReadExpect("upsert after delete lost", deleted_[i],
               "re-inserted after a Delete");
  }
  std::vector<uint64_t> gone;
  for (uint64_t key : deleted_) {
    if (model_.count(key) == 0) gone.push_back(key);
  }
  deleted_ = gone;
  ReadAll("delete ignored", deleted_);
  ReadAll("dropped write", keys);
}

void ApiGate::RmwExpect(uint64_t key, uint64_t increment) {
  auto it = model_.find(key);
  std::string expected = it == model_.end()
                             ? std::string(config_.value_size, '\0')
                             : it->second;
  StoreU64(&expected[0], LoadU64(expected.data()) + increment);
  std::string buffer = Buffer();
  std::string what = "ReadModifyWrite(" + HexKey(key) + ", +" +
                     std::to_string(increment) + ")" +
                     (it == model_.end() ? " of a missing key" : "");
  Status status = store_->ReadModifyWrite(key, increment, &buffer[0]);
  model_[key] = expected;
  if (!GuardIntact(buffer)) {
    failures_.Add("buffer overrun", what + " wrote past value_size bytes of "
                                           "the output buffer");
  }
  if (status != Status::kOk) {
    failures_.Add("read-modify-write wrong",
                  what + " returned " + StatusName(status) + "; expected kOk");
    return;
  }
  std::string got = buffer.substr(0, config_.value_size);
  if (got != expected) {
    std::string detail = what + " returned " + Describe(key, got, expected);
    if (it == model_.end()) {
      detail += " (a missing key starts as a zero-filled value)";
    } else if (got.compare(8, std::string::npos, expected, 8,
                           std::string::npos) != 0) {
      detail += " (bytes after the counter must stay as they were)";
    }
    failures_.Add("read-modify-write wrong", detail);
  }
  ReadExpect("read-modify-write not stored", key,
             "after " + what);
}

void ApiGate::CheckReadModifyWrite(const std::vector<uint64_t>& keys) {
  uint64_t fresh = rng_.Next();
  while (model_.count(fresh) != 0) fresh = rng_.Next();
  RmwExpect(fresh, 5);
  RmwExpect(fresh, 7);
  for (size_t i = 1; i < keys.size() && i < 256; i += 8) {
    if (model_.count(keys[i]) != 0) RmwExpect(keys[i], rng_.Next());
  }
  // Carries across bytes and wrap-around of the little-endian counter.
  const uint64_t starts[] = {0xfffffffffffffff0ULL, 0x00000000ffffffffULL,
                             0x00ff00ff00ff00ffULL};
  const uint64_t increments[] = {0x20, 1, 0x0101010101010101ULL};
  for (int i = 0; i < 3; ++i) {
    uint64_t key = keys[2 + static_cast<size_t>(i) * 2];
    std::string bytes = model_.count(key) ? model_[key]
                                          : std::string(config_.value_size, 'x');
    StoreU64(&bytes[0], starts[i]);
    PutBytes(key, bytes);
    RmwExpect(key, increments[i]);
  }
  if (!keys.empty() && model_.count(keys[3]) != 0) RmwExpect(keys[3], 0);
  if (config_.operations.del && !deleted_.empty()) {
    uint64_t key = deleted_.back();
    deleted_.pop_back();
    RmwExpect(key, 9);
  }
}

void ApiGate::CheckReopen(const std::vector<uint64_t>& keys, int round) {
  Status closed = store_->Close();
  store_.reset();
  if (closed != Status::kOk) {
    failures_.Add("close failed", std::string("Close returned ") +
                                      StatusName(closed) + " before reopen " +
                                      std::to_string(round));
  }
  std::string leftover = ThreadsLeftAfterClose(threads_before_);
  if (!leftover.empty()) failures_.Add("thread left running", leftover);
  std::string error;
  store_ = CountStoreCalls(OpenStore(config_, &error), progress_);
  if (!store_) {
    failures_.Add("reopen failed", "reopening after a clean Close: " + error);
    return;
  }
  store_->ThreadInit(0);
  std::string when = "after a clean Close and Open (durability " +
                     std::string(DurabilityName(config_.durability)) + ")";
  std::vector<uint64_t> all = keys;
  for (const auto& entry : model_) all.push_back(entry.first);
  all.insert(all.end(), deleted_.begin(), deleted_.end());
  for (uint64_t key : all) ReadExpect("data lost on reopen", key, when);
  if (config_.operations.scan) CheckScans(" " + when);
}

int ApiGate::Run() {
  // Before the thread census: the ticker's thread is the harness's own.
  progress_.Start();
  threads_before_ = CountThreads();
  // The whole gate is one phase, Open and the reopen cycles included; how
  // many calls it makes depends on what the store returns, so no total.
  progress_.BeginPhase("gate-api", 0);
  std::string error;
  store_ = CountStoreCalls(OpenStore(config_, &error), progress_);
  if (!store_) {
    progress_.Stop();
    EmitGate("api", false, error);
    return 0;
  }
  store_->ThreadInit(0);
  std::vector<uint64_t> keys = ChooseKeys();
  CheckMissingKeys(keys);
  CheckWrites(keys);
  if (config_.operations.del) CheckDeletes(keys);
  if (config_.operations.rmw) CheckReadModifyWrite(keys);
  if (config_.operations.scan) CheckScans("");
  bool durable = config_.durability != Durability::kNone;
  if (durable && store_) {
    CheckReopen(keys, 1);
    // Change things after recovery and recover again: logs written on top of
    // a recovered state must replay too.
    for (size_t i = 1; store_ && i < keys.size(); i += 16) Put(keys[i], 4);
    if (store_ && config_.operations.del) {
      for (size_t i = 5; i < keys.size(); i += 32) {
        if (model_.count(keys[i]) == 0) continue;
        store_->Delete(keys[i]);
        model_.erase(keys[i]);
        deleted_.push_back(keys[i]);
      }
    }
    if (store_ && config_.operations.rmw) RmwExpect(keys[7], 11);
    if (store_) CheckReopen(keys, 2);
  }
  if (store_) {
    store_->ThreadExit(0);
    Status closed = store_->Close();
    if (closed != Status::kOk) {
      failures_.Add("close failed",
                    std::string("Close returned ") + StatusName(closed));
    }
    store_.reset();
    std::string leftover = ThreadsLeftAfterClose(threads_before_);
    if (!leftover.empty()) failures_.Add("thread left running", leftover);
  }
  progress_.Stop();
  std::string checked = std::to_string(keys.size()) +
                        " keys (including 0 and 2^64-1): missing keys, read "
                        "after write, re-read after every other write, "
                        "overwrite";
  if (config_.operations.del) checked += ", delete";
  if (config_.operations.rmw) checked += ", read-modify-write";
  if (config_.operations.scan) {
    checked += ", " + std::to_string(scans_) + " scans";
  }
  if (durable) checked += ", two Close/Open cycles";
  ReportGate("api", failures_, checked + ": all correct");
  return 0;
}

int RunGateApi(const Config& config) {
  ApiGate gate(config);
  return gate.Run();
}

}  // namespace jitskit::harness
