"""A correct map store whose Open or Upsert can be made to stall or crawl: the stores
the bounded-verdict tests hold to their budgets.

Each variant is written into a fresh folder at test time: the store contract forbids
`-D` in `BUILD_FLAGS`, and one template keeps the variants identical but for their
pace.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATE = """\
// A correct map store under one mutex, paced by the test that wrote it.
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "jitskit/kvstore.h"

namespace {

using jitskit::Status;

void Forever() {
  for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
}

class PacedStore final : public jitskit::KVStore {
 public:
  Status Open(const jitskit::StoreConfig& config) override {
    value_size_ = config.value_size;
    OPEN_PACE
    return Status::kOk;
  }
  Status Close() override { return Status::kOk; }
  Status Read(uint64_t key, char* value_out) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return Status::kNotFound;
    std::memcpy(value_out, it->second.data(), value_size_);
    return Status::kOk;
  }
  Status Upsert(uint64_t key, const char* value) override {
    size_t held;
    {
      std::lock_guard<std::mutex> lock(mu_);
      map_[key].assign(value, value + value_size_);
      held = map_.size();
    }
    UPSERT_PACE
    return Status::kOk;
  }
  Status Delete(uint64_t key) override {
    std::lock_guard<std::mutex> lock(mu_);
    return map_.erase(key) != 0 ? Status::kOk : Status::kNotFound;
  }
  Status ReadModifyWrite(uint64_t key, uint64_t increment, char* value_out) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<char>& value = map_[key];
    if (value.empty()) value.assign(value_size_, 0);
    uint64_t counter;
    std::memcpy(&counter, value.data(), sizeof counter);
    counter += increment;
    std::memcpy(value.data(), &counter, sizeof counter);
    std::memcpy(value_out, value.data(), value_size_);
    return Status::kOk;
  }

 private:
  std::mutex mu_;
  std::unordered_map<uint64_t, std::vector<char>> map_;
  uint32_t value_size_ = 0;
};

}  // namespace

extern "C" jitskit::KVStore* jitskit_create_store() { return new PacedStore(); }
"""


def paced_store(folder: Path, *, open_pace: str = "", upsert_pace: str = "(void)held;") -> Path:
    """A store folder whose Open runs ``open_pace`` and whose Upsert runs
    ``upsert_pace`` after storing the value (``held``: the keys it now holds)."""
    folder.mkdir(parents=True, exist_ok=True)
    source = TEMPLATE.replace("OPEN_PACE", open_pace).replace("UPSERT_PACE", upsert_pace)
    (folder / "store.cc").write_text(source)
    return folder


STUCK_OPEN = "Forever();"
STUCK_AFTER = (
    "static std::atomic<unsigned long> late{{0}};"
    " if (held >= {keys} && ++late > {writes}) Forever();"
)
"""Upserts stop returning after ``writes`` more once the store holds ``keys`` keys."""
CRAWL_PAST = "if (held >= {keys}) std::this_thread::sleep_for(std::chrono::milliseconds({ms}));"
