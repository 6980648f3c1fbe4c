#include "gate_report.h"

#include "jsonout.h"

namespace jitskit::harness {

void FailureLog::Add(const std::string& kind, const std::string& detail) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (Entry& entry : entries_) {
    if (entry.kind == kind) {
      ++entry.count;
      return;
    }
  }
  entries_.push_back({kind, detail, 1});
}

void FailureLog::SetHeadlineOrder(std::vector<std::string> kinds) {
  std::lock_guard<std::mutex> lock(mutex_);
  headline_order_ = std::move(kinds);
}

bool FailureLog::empty() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.empty();
}

uint64_t FailureLog::total() const {
  std::lock_guard<std::mutex> lock(mutex_);
  uint64_t sum = 0;
  for (const Entry& entry : entries_) sum += entry.count;
  return sum;
}

uint64_t FailureLog::count(const std::string& kind) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const Entry& entry : entries_) {
    if (entry.kind == kind) return entry.count;
  }
  return 0;
}

std::string FailureLog::Summary() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (entries_.empty()) return "";
  std::vector<Entry> ordered;
  for (const std::string& kind : headline_order_) {
    for (const Entry& entry : entries_) {
      if (entry.kind == kind) ordered.push_back(entry);
    }
  }
  for (const Entry& entry : entries_) {
    bool listed = false;
    for (const std::string& kind : headline_order_) listed |= kind == entry.kind;
    if (!listed) ordered.push_back(entry);
  }
  std::string summary = ordered.front().kind + ": " + ordered.front().first_detail;
  uint64_t sum = 0;
  for (const Entry& entry : ordered) sum += entry.count;
  if (sum > 1) {
    summary += " (" + std::to_string(sum) + " failures:";
    for (size_t i = 0; i < ordered.size(); ++i) {
      summary += (i == 0 ? " " : ", ") + std::to_string(ordered[i].count) +
                 " " + ordered[i].kind;
    }
    summary += ")";
  }
  // The first failure of another kind often says more about the cause.
  if (ordered.size() > 1) {
    summary += "; first " + ordered[1].kind + ": " + ordered[1].first_detail;
  }
  return summary;
}

void ReportGate(const char* name, const FailureLog& failures,
                const std::string& pass_detail) {
  if (failures.empty()) {
    EmitGate(name, true, pass_detail);
  } else {
    EmitGate(name, false, failures.Summary());
  }
}

}  // namespace jitskit::harness
