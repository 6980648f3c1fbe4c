// Collects a gate's failures and turns them into one actionable sentence.
#ifndef JITSKIT_HARNESS_GATE_REPORT_H_
#define JITSKIT_HARNESS_GATE_REPORT_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace jitskit::harness {

class FailureLog {
 public:
  // Thread-safe. `kind` names the class of failure ("stale read"); the first
  // detail of each kind is kept, later ones are counted.
  void Add(const std::string& kind, const std::string& detail);
  // Kinds that, when present, lead the summary in this order, because they
  // name a root cause rather than a symptom; other kinds follow first-seen.
  void SetHeadlineOrder(std::vector<std::string> kinds);
  bool empty() const;
  uint64_t total() const;
  uint64_t count(const std::string& kind) const;
  // The first failure's detail, then how many of each kind were seen:
  // "stale read: ... (3 failures: 2 stale read, 1 torn read)".
  std::string Summary() const;

 private:
  struct Entry {
    std::string kind;
    std::string first_detail;
    uint64_t count;
  };
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
  std::vector<std::string> headline_order_;
};

// Prints the gate line: passed with `pass_detail` when `failures` is empty,
// else failed with its summary.
void ReportGate(const char* name, const FailureLog& failures,
                const std::string& pass_detail);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_GATE_REPORT_H_
