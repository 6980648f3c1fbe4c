// A smoke test of one baseline adapter against the store contract, linked
// with the adapter's object. Stand-in until the real harness gates run the
// baselines.
//
//   smoke check DURABILITY DATA_DIR SCAN   (DATA_DIR "-" for none, SCAN 0|1)
//   smoke unsupported DURABILITY DATA_DIR  (Open must return kNotSupported)
//
// Prints "ok <check>" per passed check; on the first failure prints
// "FAIL <check>: <what>" and exits 1.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Durability;
using jitskit::KVStore;
using jitskit::Status;
using jitskit::StoreConfig;

constexpr uint32_t kValueSize = 100;
constexpr uint32_t kThreads = 4;

// Under power_loss every write waits for a sync: the threaded checks run
// fewer operations so that the smoke stays quick.
uint64_t g_scale_down = 1;

uint64_t Ops(uint64_t n) { return std::max<uint64_t>(n / g_scale_down, 10); }

[[noreturn]] void Fail(const std::string& check, const std::string& what) {
  std::printf("FAIL %s: %s\n", check.c_str(), what.c_str());
  std::fflush(stdout);
  std::exit(1);
}

void Expect(bool ok, const std::string& check, const std::string& what) {
  if (!ok) Fail(check, what);
}

const char* Name(Status s) {
  switch (s) {
    case Status::kOk: return "kOk";
    case Status::kNotFound: return "kNotFound";
    case Status::kNotSupported: return "kNotSupported";
    case Status::kError: return "kError";
  }
  return "?";
}

void ExpectStatus(Status seen, Status want, const std::string& check, const std::string& op) {
  Expect(seen == want, check, op + " returned " + Name(seen) + ", expected " + Name(want));
}

uint64_t Counter(const char* value) {
  uint64_t c = 0;
  for (int i = 7; i >= 0; --i) c = (c << 8) | static_cast<unsigned char>(value[i]);
  return c;
}

// A value every byte of which follows from (key, version): a torn or foreign
// value fails Matches.
std::vector<char> MakeValue(uint64_t key, uint64_t version) {
  std::vector<char> v(kValueSize);
  uint64_t x = key * 0x9e3779b97f4a7c15ULL ^ version;
  std::memcpy(v.data(), &version, 8);
  for (uint32_t i = 8; i < kValueSize; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    v[i] = static_cast<char>(x >> 56);
  }
  return v;
}

bool Matches(const char* seen, uint64_t key, uint64_t* version) {
  std::memcpy(version, seen, 8);
  return std::memcmp(seen, MakeValue(key, *version).data(), kValueSize) == 0;
}

StoreConfig Config(Durability durability, const std::string& dir) {
  StoreConfig c{};
  c.mem_budget_bytes = 64ULL << 20;
  c.data_dir = dir;
  c.value_size = kValueSize;
  c.max_threads = kThreads;
  c.durability = durability;
  return c;
}

std::unique_ptr<KVStore> OpenStore(const StoreConfig& config, const std::string& check) {
  std::unique_ptr<KVStore> store(jitskit_create_store());
  ExpectStatus(store->Open(config), Status::kOk, check, "Open");
  return store;
}

void CheckPointOps(KVStore* s) {
  const std::string check = "point-ops";
  char out[kValueSize];
  ExpectStatus(s->Read(42, out), Status::kNotFound, check, "Read of a missing key 42");
  const uint64_t keys[] = {0, 1, 42, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
                           0xffffffffffffffffULL};
  for (uint64_t k : keys) {
    ExpectStatus(s->Upsert(k, MakeValue(k, 1).data()), Status::kOk, check, "Upsert");
  }
  ExpectStatus(s->Upsert(42, MakeValue(42, 2).data()), Status::kOk, check, "Upsert (replace) 42");
  for (uint64_t k : keys) {
    ExpectStatus(s->Read(k, out), Status::kOk, check, "Read " + std::to_string(k));
    uint64_t version = 0;
    Expect(Matches(out, k, &version) && version == (k == 42 ? 2u : 1u), check,
           "Read " + std::to_string(k) + " returned bytes that are not the last value written");
  }
  ExpectStatus(s->Delete(1), Status::kOk, check, "Delete 1");
  ExpectStatus(s->Read(1, out), Status::kNotFound, check, "Read 1 after Delete");
  Status missing = s->Delete(123456);
  Expect(missing == Status::kOk || missing == Status::kNotFound, check,
         std::string("Delete of a missing key returned ") + Name(missing));
  std::printf("ok %s\n", check.c_str());
}

void CheckReadModifyWrite(KVStore* s) {
  const std::string check = "read-modify-write";
  char out[kValueSize];
  ExpectStatus(s->ReadModifyWrite(777, 5, out), Status::kOk, check, "RMW of missing key 777");
  Expect(Counter(out) == 5, check, "RMW on a missing key did not start from zero");
  for (uint32_t i = 8; i < kValueSize; ++i) {
    Expect(out[i] == 0, check, "created value not zero-filled");
  }
  std::vector<char> base = MakeValue(778, 0xfffffffffffffffeULL);
  ExpectStatus(s->Upsert(778, base.data()), Status::kOk, check, "Upsert 778");
  ExpectStatus(s->ReadModifyWrite(778, 3, out), Status::kOk, check, "RMW 778");
  Expect(Counter(out) == 1, check, "counter did not wrap modulo 2^64");
  Expect(std::memcmp(out + 8, base.data() + 8, kValueSize - 8) == 0, check,
         "RMW changed bytes after the first 8");
  char again[kValueSize];
  ExpectStatus(s->Read(778, again), Status::kOk, check, "Read 778 after RMW");
  Expect(std::memcmp(out, again, kValueSize) == 0, check,
         "Read after RMW differs from RMW's output");
  std::printf("ok %s\n", check.c_str());
}

struct ScanResult {
  std::vector<uint64_t> keys;
  uint32_t stop_after = UINT32_MAX;
  const std::set<uint64_t>* check_values = nullptr;  // keys whose values MakeValue made
  bool values_ok = true;
};

bool Collect(void* ctx, uint64_t key, const char* value) {
  auto* r = static_cast<ScanResult*>(ctx);
  uint64_t version = 0;
  if (r->check_values != nullptr && r->check_values->count(key) != 0 &&
      !Matches(value, key, &version)) {
    r->values_ok = false;
  }
  r->keys.push_back(key);
  return r->keys.size() < r->stop_after;
}

void CheckScan(KVStore* s, bool supported) {
  const std::string check = "scan";
  ScanResult r;
  Status st = s->Scan(0, 10, Collect, &r);
  if (!supported) {
    ExpectStatus(st, Status::kNotSupported, check, "Scan on a store without scan");
    std::printf("ok %s (not supported)\n", check.c_str());
    return;
  }
  std::set<uint64_t> live;
  for (uint64_t k = 1000; k < 1100; k += 3) live.insert(k * 0x0100000000000001ULL);
  for (uint64_t k : live) {
    ExpectStatus(s->Upsert(k, MakeValue(k, 1).data()), Status::kOk, check, "Upsert");
  }
  uint64_t gone = *std::next(live.begin(), 5);
  ExpectStatus(s->Delete(gone), Status::kOk, check, "Delete");
  live.erase(gone);
  // Keys written by earlier checks are live too.
  r = ScanResult{};
  r.check_values = &live;
  ExpectStatus(s->Scan(0, 100000, Collect, &r), Status::kOk, check, "Scan from 0");
  Expect(std::is_sorted(r.keys.begin(), r.keys.end()) &&
             std::adjacent_find(r.keys.begin(), r.keys.end()) == r.keys.end(),
         check, "keys not in strictly ascending unsigned order");
  Expect(r.values_ok, check, "a scanned value is not the value written for its key");
  for (uint64_t k : live) {
    Expect(std::binary_search(r.keys.begin(), r.keys.end(), k), check,
           "live key " + std::to_string(k) + " missing from the scan");
  }
  Expect(!std::binary_search(r.keys.begin(), r.keys.end(), gone), check, "deleted key scanned");
  uint64_t from = *std::next(live.begin(), 7);
  r = ScanResult{};
  ExpectStatus(s->Scan(from, 4, Collect, &r), Status::kOk, check, "Scan with count 4");
  std::vector<uint64_t> want(std::next(live.begin(), 7), std::next(live.begin(), 11));
  Expect(r.keys == want, check, "Scan(start, 4) did not return the 4 keys from start");
  r = ScanResult{};
  r.stop_after = 2;
  ExpectStatus(s->Scan(from, 10, Collect, &r), Status::kOk, check, "Scan stopped by the visitor");
  Expect(r.keys.size() == 2, check, "Scan kept visiting after the visitor returned false");
  std::printf("ok %s\n", check.c_str());
}

// Each thread writes keys of its own and reads every one back at once.
void CheckReadAfterWrite(KVStore* s) {
  const std::string check = "threads-read-after-write";
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([s, t, &check] {
      s->ThreadInit(t);
      char out[kValueSize];
      for (uint64_t i = 0; i < Ops(3000); ++i) {
        uint64_t key = (uint64_t{t + 1} << 56) | (i * 7919);
        ExpectStatus(s->Upsert(key, MakeValue(key, i).data()), Status::kOk, check, "Upsert");
        ExpectStatus(s->Read(key, out), Status::kOk, check, "Read " + std::to_string(key));
        uint64_t version = 0;
        Expect(Matches(out, key, &version) && version == i, check,
               "Read right after Upsert of " + std::to_string(key) + " saw another value");
      }
      s->ThreadExit(t);
    });
  }
  for (auto& th : threads) th.join();
  std::printf("ok %s\n", check.c_str());
}

// Each hot key has one writer that publishes the version it got acknowledged;
// every thread reads every hot key: never torn, never older than published.
void CheckHotKeys(KVStore* s) {
  const std::string check = "threads-hot-keys";
  constexpr uint64_t kHot = 8;
  std::vector<std::atomic<uint64_t>> acked(kHot);
  for (uint64_t k = 0; k < kHot; ++k) {
    ExpectStatus(s->Upsert(5000 + k, MakeValue(5000 + k, 0).data()), Status::kOk, check, "Upsert");
    acked[k] = 0;
  }
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([s, t, &acked, &check] {
      s->ThreadInit(t);
      char out[kValueSize];
      for (uint64_t round = 1; round <= Ops(2000); ++round) {
        for (uint64_t k = t; k < kHot; k += kThreads) {
          ExpectStatus(s->Upsert(5000 + k, MakeValue(5000 + k, round).data()), Status::kOk, check,
                       "Upsert");
          acked[k].store(round, std::memory_order_release);
        }
        uint64_t k = (round * 5 + t) % kHot;
        uint64_t floor = acked[k].load(std::memory_order_acquire);
        ExpectStatus(s->Read(5000 + k, out), Status::kOk, check, "Read");
        uint64_t version = 0;
        Expect(Matches(out, 5000 + k, &version), check, "torn or foreign value for a hot key");
        Expect(version >= floor, check,
               "stale read: version " + std::to_string(version) + " after " +
                   std::to_string(floor) + " was acknowledged");
      }
      s->ThreadExit(t);
    });
  }
  for (auto& th : threads) th.join();
  std::printf("ok %s\n", check.c_str());
}

// Two threads increment one counter; every increment counts and every
// returned counter value is distinct.
void CheckRmwAtomic(KVStore* s) {
  const std::string check = "threads-rmw-atomic";
  constexpr uint64_t kKey = 9001;
  const uint64_t per_thread = Ops(20000);
  std::vector<std::vector<uint64_t>> seen(2);
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < 2; ++t) {
    threads.emplace_back([s, t, per_thread, &seen, &check] {
      s->ThreadInit(t);
      char out[kValueSize];
      for (uint64_t i = 0; i < per_thread; ++i) {
        ExpectStatus(s->ReadModifyWrite(kKey, 1, out), Status::kOk, check, "RMW");
        seen[t].push_back(Counter(out));
      }
      s->ThreadExit(t);
    });
  }
  for (auto& th : threads) th.join();
  char out[kValueSize];
  ExpectStatus(s->Read(kKey, out), Status::kOk, check, "Read counter");
  Expect(Counter(out) == 2 * per_thread, check,
         "counter is " + std::to_string(Counter(out)) + ", expected " +
             std::to_string(2 * per_thread) + ": increments were lost");
  std::set<uint64_t> all(seen[0].begin(), seen[0].end());
  all.insert(seen[1].begin(), seen[1].end());
  Expect(all.size() == 2 * per_thread, check, "two RMWs returned the same counter value");
  std::printf("ok %s\n", check.c_str());
}

void CheckReopen(const StoreConfig& config, bool scan) {
  const std::string check = "reopen-keeps-data";
  {
    auto s = OpenStore(config, check);
    for (uint64_t k = 0; k < 500; ++k) {
      uint64_t key = k * 0x0123456789abcdefULL;
      ExpectStatus(s->Upsert(key, MakeValue(key, k).data()), Status::kOk, check, "Upsert");
    }
    char out[kValueSize];
    for (int i = 0; i < 5; ++i) {
      ExpectStatus(s->ReadModifyWrite(31337, 2, out), Status::kOk, check, "RMW 31337");
    }
    ExpectStatus(s->Delete(3 * 0x0123456789abcdefULL), Status::kOk, check, "Delete");
    ExpectStatus(s->Close(), Status::kOk, check, "Close");
  }
  auto s = OpenStore(config, check + " (second Open)");
  char out[kValueSize];
  for (uint64_t k = 0; k < 500; ++k) {
    uint64_t key = k * 0x0123456789abcdefULL;
    Status st = s->Read(key, out);
    if (k == 3) {
      ExpectStatus(st, Status::kNotFound, check, "Read of a deleted key after reopen");
      continue;
    }
    ExpectStatus(st, Status::kOk, check, "Read " + std::to_string(key) + " after reopen");
    uint64_t version = 0;
    Expect(Matches(out, key, &version) && version == k, check, "wrong value after reopen");
  }
  ExpectStatus(s->Read(31337, out), Status::kOk, check, "Read counter after reopen");
  Expect(Counter(out) == 10, check, "counter after reopen is " + std::to_string(Counter(out)));
  if (scan) {
    ScanResult r;
    ExpectStatus(s->Scan(0, 1000, Collect, &r), Status::kOk, check, "Scan after reopen");
    Expect(r.keys.size() == 500 && std::is_sorted(r.keys.begin(), r.keys.end()), check,
           "scan after reopen saw " + std::to_string(r.keys.size()) + " keys, expected 500");
  }
  ExpectStatus(s->Close(), Status::kOk, check, "Close");
  std::printf("ok %s\n", check.c_str());
}

bool ParseDurability(const std::string& text, Durability* out) {
  if (text == "none") *out = Durability::kNone;
  else if (text == "process_crash") *out = Durability::kProcessCrash;
  else if (text == "power_loss") *out = Durability::kPowerLoss;
  else return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  Durability durability{};
  if (args.size() < 3 || !ParseDurability(args[1], &durability)) {
    std::fprintf(stderr, "usage: smoke check|unsupported DURABILITY DATA_DIR [SCAN]\n");
    return 2;
  }
  StoreConfig config = Config(durability, args[2] == "-" ? "" : args[2]);
  if (args[0] == "unsupported") {
    std::unique_ptr<KVStore> store(jitskit_create_store());
    ExpectStatus(store->Open(config), Status::kNotSupported, "unsupported-durability", "Open");
    std::printf("ok unsupported-durability\n");
    return 0;
  }
  bool scan = args.size() > 3 && args[3] == "1";
  if (durability == Durability::kPowerLoss) g_scale_down = 20;
  {
    auto store = OpenStore(config, "open");
    CheckPointOps(store.get());
    CheckReadModifyWrite(store.get());
    CheckScan(store.get(), scan);
    CheckReadAfterWrite(store.get());
    CheckHotKeys(store.get());
    CheckRmwAtomic(store.get());
    ExpectStatus(store->Close(), Status::kOk, "close", "Close");
  }
  if (durability != Durability::kNone) {
    std::string fresh = config.data_dir + "/reopen";
    CheckReopen(Config(durability, fresh), scan);
  }
  std::printf("ok all\n");
  return 0;
}
