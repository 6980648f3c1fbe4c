// gate-api's scan checks: order, completeness, count and stopping, against
// the model.
#include <string>
#include <vector>

#include "api_gate.h"
#include "store_session.h"

namespace jitskit::harness {
namespace {

struct Visited {
  uint64_t key;
  std::string value;
};

struct ScanCollector {
  std::vector<Visited> visited;
  uint32_t stop_after = 0;  // 0: never ask the store to stop
  uint32_t calls_after_stop = 0;
  uint32_t cap = 0;
  uint32_t value_size = 0;

  static bool Visit(void* context, uint64_t key, const char* value) {
    auto* self = static_cast<ScanCollector*>(context);
    if (self->stop_after != 0 && self->visited.size() >= self->stop_after) {
      ++self->calls_after_stop;
      return false;
    }
    self->visited.push_back({key, std::string(value, self->value_size)});
    if (self->visited.size() > self->cap) return false;
    return self->stop_after == 0 || self->visited.size() < self->stop_after;
  }
};

}  // namespace

void ApiGate::ScanExpect(uint64_t start, uint32_t count,
                         const std::string& when) {
  ++scans_;
  ScanCollector collector;
  collector.cap = count + 16;
  collector.value_size = config_.value_size;
  Status status = store_->Scan(start, count, &ScanCollector::Visit, &collector);
  std::string what =
      "Scan(" + HexKey(start) + ", " + std::to_string(count) + ")" + when;
  if (status != Status::kOk) {
    failures_.Add("scan failed", what + " returned " + StatusName(status) +
                                     "; the spec requires scans");
    return;
  }
  std::vector<std::pair<uint64_t, const std::string*>> expected;
  for (auto it = model_.lower_bound(start);
       it != model_.end() && expected.size() < count; ++it) {
    expected.emplace_back(it->first, &it->second);
  }
  const auto& got = collector.visited;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i].key < start || (i > 0 && got[i].key <= got[i - 1].key)) {
      failures_.Add("scan out of order",
                    what + " visited " + HexKey(got[i].key) +
                        (i > 0 ? " after " + HexKey(got[i - 1].key) : "") +
                        "; keys must be >= the start and strictly ascending");
      return;
    }
  }
  for (size_t i = 0; i < got.size(); ++i) {
    if (i >= expected.size()) {
      failures_.Add(model_.count(got[i].key) ? "scan count wrong"
                                             : "scan returned deleted key",
                    what + " visited " + HexKey(got[i].key) + " beyond the " +
                        std::to_string(expected.size()) + " keys expected" +
                        (model_.count(got[i].key) ? ""
                                                  : " (it is deleted or was "
                                                    "never written)"));
      return;
    }
    if (got[i].key != expected[i].first) {
      bool skipped = got[i].key > expected[i].first;
      failures_.Add(skipped ? "scan skipped key" : "scan returned deleted key",
                    what + " visited " + HexKey(got[i].key) + " where " +
                        HexKey(expected[i].first) + " was due" +
                        (skipped ? " (a live key was skipped)"
                                 : " (that key is deleted or never written)"));
      return;
    }
    if (got[i].value != *expected[i].second) {
      failures_.Add("scan value wrong",
                    what + " gave key " + HexKey(got[i].key) + " " +
                        Describe(got[i].key, got[i].value, *expected[i].second));
      return;
    }
  }
  if (got.size() < expected.size()) {
    failures_.Add("scan skipped key",
                  what + " visited " + std::to_string(got.size()) + " keys; " +
                      std::to_string(expected.size()) +
                      " live keys were due, the first missing is " +
                      HexKey(expected[got.size()].first));
  }
}

void ApiGate::CheckScans(const std::string& when) {
  ScanExpect(0, static_cast<uint32_t>(model_.size() + 10), when);
  ScanExpect(UINT64_MAX, 5, when);
  ScanExpect(1ULL << 63, 10, when);
  ScanExpect(0, 1, when);
  std::vector<uint64_t> live;
  for (const auto& entry : model_) live.push_back(entry.first);
  for (int i = 0; i < 60 && !live.empty(); ++i) {
    uint64_t pick = live[rng_.Below(live.size())];
    uint64_t start = i % 3 == 0 ? rng_.Next() : i % 3 == 1 ? pick : pick + 1;
    ScanExpect(start, 1 + static_cast<uint32_t>(rng_.Below(64)), when);
  }
  // The visitor asks to stop after 3 keys; the store must not call it again.
  ScanCollector collector;
  collector.stop_after = 3;
  collector.cap = 1u << 20;
  collector.value_size = config_.value_size;
  store_->Scan(0, static_cast<uint32_t>(model_.size()), &ScanCollector::Visit,
               &collector);
  if (collector.calls_after_stop > 0) {
    failures_.Add("scan ignored stop",
                  "Scan kept calling the visitor " +
                      std::to_string(collector.calls_after_stop) +
                      " more times after it returned false; stop at once");
  }
}

}  // namespace jitskit::harness
