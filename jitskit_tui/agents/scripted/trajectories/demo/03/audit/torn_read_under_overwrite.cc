// Audit: a read racing an overwrite of the same key returns one write's bytes,
// never a mix. One thread overwrites a few hot keys with values whose every
// byte is derived from one version number; the other reads them and checks
// that all bytes agree on a single version. Then the threads swap roles. The
// operation counts are fixed; only the interleaving varies, and a correct
// store passes under every interleaving.
//
// argv: value_size max_threads mem_budget_bytes data_dir durability
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Status;

constexpr int kHotKeys = 2;
constexpr uint64_t kWrites = 500000;  // per role swap
constexpr int kSwaps = 2;

uint64_t KeyOf(int i) { return 0xd1b54a32d192ed03ULL * static_cast<uint64_t>(i + 7); }

// Byte i of version v's value: the version in the first 8 bytes, then a
// pattern that depends on both v and i, so halves of two writes never agree.
char ByteOf(uint64_t version, uint32_t i) {
  return static_cast<char>((version * 0x9eULL) ^ (version >> 8) ^ (i * 29));
}

void Encode(char* out, uint32_t size, uint64_t version) {
  std::memcpy(out, &version, 8);
  for (uint32_t i = 8; i < size; ++i) out[i] = ByteOf(version, i);
}

// The first byte that disagrees with the version in the first 8, or -1.
int FirstMismatch(const char* value, uint32_t size) {
  uint64_t version;
  std::memcpy(&version, value, 8);
  for (uint32_t i = 8; i < size; ++i) {
    if (value[i] != ByteOf(version, i)) return static_cast<int>(i);
  }
  return -1;
}

std::string Hex(uint64_t key) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%016llx", static_cast<unsigned long long>(key));
  return text;
}

class TornReadAudit {
 public:
  TornReadAudit(jitskit::KVStore* store, uint32_t value_size)
      : store_(store), size_(value_size) {}

  bool Run() {
    std::vector<char> value(size_);
    store_->ThreadInit(0);
    for (int k = 0; k < kHotKeys; ++k) {
      Encode(value.data(), size_, 1);
      if (store_->Upsert(KeyOf(k), value.data()) != Status::kOk) {
        std::fprintf(stderr, "setup: Upsert of key %s did not return kOk\n",
                     Hex(KeyOf(k)).c_str());
        return false;
      }
    }
    store_->ThreadExit(0);
    for (int swap = 0; swap < kSwaps && failure_.empty(); ++swap) {
      done_.store(false);
      int writer = swap % 2;
      std::thread a([&] { Role(0, writer == 0, swap); });
      std::thread b([&] { Role(1, writer == 1, swap); });
      a.join();
      b.join();
    }
    if (!failure_.empty()) {
      std::fprintf(stderr, "%s\n", failure_.c_str());
      return false;
    }
    return true;
  }

 private:
  void Role(uint32_t id, bool writes, int swap) {
    store_->ThreadInit(id);
    if (writes) {
      Write(swap);
    } else {
      Read(id);
    }
    store_->ThreadExit(id);
  }

  void Write(int swap) {
    std::vector<char> value(size_);
    uint64_t base = 2 + static_cast<uint64_t>(swap) * kWrites;
    for (uint64_t n = 0; n < kWrites; ++n) {
      Encode(value.data(), size_, base + n);
      store_->Upsert(KeyOf(static_cast<int>(n % kHotKeys)), value.data());
    }
    done_.store(true);
  }

  // Reads until the writer is done, and at least as many times as it wrote.
  void Read(uint32_t id) {
    std::vector<char> value(size_);
    uint64_t reads = 0;
    while (!done_.load() || reads < kWrites) {
      uint64_t key = KeyOf(static_cast<int>(reads % kHotKeys));
      ++reads;
      Status status = store_->Read(key, value.data());
      if (status != Status::kOk) {
        failure_ = "thread " + std::to_string(id) + " Read of key " + Hex(key) +
                   " returned not-found while it was being overwritten; expected kOk";
        return;
      }
      int bad = FirstMismatch(value.data(), size_);
      if (bad >= 0) {
        uint64_t version;
        std::memcpy(&version, value.data(), 8);
        failure_ = "torn read: thread " + std::to_string(id) + " Read of key " + Hex(key) +
                   " returned the first 8 bytes of version " + std::to_string(version) +
                   " but byte " + std::to_string(bad) +
                   " from another write; a read must copy one write's bytes";
        return;
      }
    }
  }

  jitskit::KVStore* store_;
  uint32_t size_;
  std::atomic<bool> done_{false};
  std::string failure_;  // written by the reader only, read after join
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
  if (config.max_threads < 2 || config.value_size < 16) {
    std::printf("skipped: needs 2 threads and 16-byte values\n");
    return 0;
  }
  std::unique_ptr<jitskit::KVStore> store(jitskit_create_store());
  if (!store || store->Open(config) != Status::kOk) {
    std::fprintf(stderr, "Open failed for value_size %u, %u threads, budget %llu\n",
                 config.value_size, config.max_threads,
                 static_cast<unsigned long long>(config.mem_budget_bytes));
    return 1;
  }
  bool held = TornReadAudit(store.get(), config.value_size).Run();
  store->Close();
  return held ? 0 : 1;
}
