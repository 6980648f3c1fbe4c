// Audit: a read that starts after another thread's write was acknowledged
// sees that write. Two long-lived threads take turns (so anything a thread
// keeps for itself survives between turns): one writes a batch of keys, the
// other reads them back, then they swap roles. Each round first lets the
// reader see the old state, so a per-thread copy of it would be served
// afterwards. Checks Upsert over Upsert, Delete, re-insert and
// ReadModifyWrite.
//
// argv: value_size max_threads mem_budget_bytes data_dir durability
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Status;

constexpr int kKeys = 2048;
constexpr int kRounds = 4;

// Hands the store back and forth between two threads: step n runs only
// after step n-1 has finished, on whichever thread owns it.
class Turns {
 public:
  // Waits until `step` is due; false if the audit already failed.
  bool WaitFor(int step) {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [&] { return next_ == step || failed_; });
    return !failed_;
  }
  void Done(int step) {
    std::lock_guard<std::mutex> lock(mutex_);
    next_ = step + 1;
    ready_.notify_all();
  }
  void Fail(const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!failed_) message_ = what;
    failed_ = true;
    ready_.notify_all();
  }
  bool failed() {
    std::lock_guard<std::mutex> lock(mutex_);
    return failed_;
  }
  std::string message() {
    std::lock_guard<std::mutex> lock(mutex_);
    return message_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  int next_ = 0;
  bool failed_ = false;
  std::string message_;
};

uint64_t KeyOf(int i) {
  uint64_t x = 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(i + 1);
  return x ^ (x >> 29);
}

std::string Hex(uint64_t key) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%016llx", static_cast<unsigned long long>(key));
  return text;
}

// Version in the first 8 bytes, then bytes derived from (key, version).
void Encode(char* out, uint32_t size, uint64_t key, uint64_t version) {
  std::memcpy(out, &version, 8);
  for (uint32_t i = 8; i < size; ++i) {
    out[i] = static_cast<char>((key >> (i % 8 * 8)) ^ (version * 131) ^ i);
  }
}

uint64_t VersionOf(const char* value) {
  uint64_t version;
  std::memcpy(&version, value, 8);
  return version;
}

class StaleReadAudit {
 public:
  StaleReadAudit(jitskit::KVStore* store, uint32_t value_size)
      : store_(store), size_(value_size) {}

  bool Run() {
    std::thread a([&] { Play(0); });
    std::thread b([&] { Play(1); });
    a.join();
    b.join();
    if (turns_.failed()) {
      std::fprintf(stderr, "%s\n", turns_.message().c_str());
      return false;
    }
    return true;
  }

 private:
  // Both threads walk the same script and run the steps they own, in order.
  // Roles swap every round, so a copy kept by either thread is caught.
  void Play(int me) {
    store_->ThreadInit(static_cast<uint32_t>(me));
    int step = 0;
    for (int round = 0; round < kRounds; ++round) {
      int writer = round % 2;
      int reader = 1 - writer;
      uint64_t base = 3 * static_cast<uint64_t>(round);
      std::vector<std::pair<int, std::function<void()>>> script = {
          {writer, [&] { WriteAll(base + 1, me); }},
          {reader, [&] { ExpectAll(base + 1, me, "Upsert"); }},
          {writer, [&] { WriteAll(base + 2, me); }},
          {reader, [&] { ExpectAll(base + 2, me, "Upsert"); }},
          {writer, [&] { DeleteAll(me); }},
          {reader, [&] { ExpectAbsent(me); }},
          {writer, [&] { WriteAll(base + 3, me); }},
          {reader, [&] { ExpectAll(base + 3, me, "Upsert after a Delete"); }},
          {writer, [&] { IncrementAll(me); }},
          {reader, [&] { ExpectIncremented(base + 3, me); }},
      };
      for (auto& [owner, action] : script) {
        if (owner == me) {
          if (!turns_.WaitFor(step)) break;
          action();
          turns_.Done(step);
        }
        ++step;
      }
    }
    store_->ThreadExit(static_cast<uint32_t>(me));
  }

  void WriteAll(uint64_t version, int me) {
    std::vector<char> value(size_);
    for (int i = 0; i < kKeys; ++i) {
      Encode(value.data(), size_, KeyOf(i), version);
      Status status = store_->Upsert(KeyOf(i), value.data());
      if (status != Status::kOk) {
        return turns_.Fail("thread " + std::to_string(me) + " Upsert of key " +
                           Hex(KeyOf(i)) + " did not return kOk");
      }
    }
  }

  void DeleteAll(int me) {
    for (int i = 0; i < kKeys; ++i) {
      if (store_->Delete(KeyOf(i)) != Status::kOk) {
        return turns_.Fail("thread " + std::to_string(me) + " Delete of present key " +
                           Hex(KeyOf(i)) + " did not return kOk");
      }
    }
  }

  void IncrementAll(int me) {
    std::vector<char> out(size_);
    for (int i = 0; i < kKeys; ++i) {
      if (store_->ReadModifyWrite(KeyOf(i), 1, out.data()) != Status::kOk) {
        return turns_.Fail("thread " + std::to_string(me) + " ReadModifyWrite of key " +
                           Hex(KeyOf(i)) + " did not return kOk");
      }
    }
  }

  void ExpectAll(uint64_t version, int me, const char* after) {
    std::vector<char> expected(size_);
    std::vector<char> seen(size_);
    for (int i = 0; i < kKeys; ++i) {
      uint64_t key = KeyOf(i);
      Encode(expected.data(), size_, key, version);
      Status status = store_->Read(key, seen.data());
      if (status != Status::kOk) {
        return turns_.Fail("stale read: thread " + std::to_string(me) + " Read of key " +
                           Hex(key) + " returned not-found after thread " +
                           std::to_string(1 - me) + "'s " + after + " of version " +
                           std::to_string(version) + " was acknowledged");
      }
      if (std::memcmp(expected.data(), seen.data(), size_) != 0) {
        return turns_.Fail("stale read: thread " + std::to_string(me) + " Read of key " +
                           Hex(key) + " returned version " +
                           std::to_string(VersionOf(seen.data())) + " after thread " +
                           std::to_string(1 - me) + "'s " + after + " of version " +
                           std::to_string(version) + " was acknowledged");
      }
    }
  }

  void ExpectAbsent(int me) {
    std::vector<char> seen(size_);
    for (int i = 0; i < kKeys; ++i) {
      if (store_->Read(KeyOf(i), seen.data()) != Status::kNotFound) {
        return turns_.Fail("stale read: thread " + std::to_string(me) + " Read of key " +
                           Hex(KeyOf(i)) + " returned version " +
                           std::to_string(VersionOf(seen.data())) + " after thread " +
                           std::to_string(1 - me) + "'s Delete was acknowledged");
      }
    }
  }

  void ExpectIncremented(uint64_t version, int me) {
    std::vector<char> expected(size_);
    std::vector<char> seen(size_);
    for (int i = 0; i < kKeys; ++i) {
      uint64_t key = KeyOf(i);
      Encode(expected.data(), size_, key, version);
      uint64_t counter = version + 1;
      std::memcpy(expected.data(), &counter, 8);
      Status status = store_->Read(key, seen.data());
      if (status != Status::kOk || std::memcmp(expected.data(), seen.data(), size_) != 0) {
        return turns_.Fail("stale read: thread " + std::to_string(me) + " Read of key " +
                           Hex(key) + " returned counter " +
                           std::to_string(status == Status::kOk ? VersionOf(seen.data()) : 0) +
                           " after thread " + std::to_string(1 - me) +
                           "'s ReadModifyWrite to " + std::to_string(counter) +
                           " was acknowledged");
      }
    }
  }

  jitskit::KVStore* store_;
  uint32_t size_;
  Turns turns_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s value_size max_threads mem_budget_bytes data_dir durability\n",
                 argv[0]);
    return 2;
  }
  jitskit::StoreConfig config;
  config.value_size = static_cast<uint32_t>(std::strtoul(argv[1], nullptr, 10));
  config.max_threads = static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 10));
  config.mem_budget_bytes = std::strtoull(argv[3], nullptr, 10);
  config.data_dir = argv[4];
  std::string durability = argv[5];
  config.durability = durability == "power_loss"      ? jitskit::Durability::kPowerLoss
                      : durability == "process_crash" ? jitskit::Durability::kProcessCrash
                                                      : jitskit::Durability::kNone;
  if (config.max_threads < 2 || config.value_size < 8) {
    std::printf("skipped: needs 2 threads and 8-byte values\n");
    return 0;
  }
  std::unique_ptr<jitskit::KVStore> store(jitskit_create_store());
  if (!store || store->Open(config) != Status::kOk) {
    std::fprintf(stderr, "Open failed for value_size %u, %u threads, budget %llu\n",
                 config.value_size, config.max_threads,
                 static_cast<unsigned long long>(config.mem_budget_bytes));
    return 1;
  }
  bool held = StaleReadAudit(store.get(), config.value_size).Run();
  store->Close();
  return held ? 0 : 1;
}
