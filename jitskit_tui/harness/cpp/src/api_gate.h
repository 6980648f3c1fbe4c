// gate-api's checker: single-thread semantics of every required operation,
// checked against an in-memory model. Internal to the harness.
#ifndef JITSKIT_HARNESS_API_GATE_H_
#define JITSKIT_HARNESS_API_GATE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "gate_report.h"
#include "integrity.h"
#include "jitskit/kvstore.h"
#include "progress.h"
#include "rng.h"

namespace jitskit::harness {

// Bytes after each output buffer that a store must not touch.
constexpr size_t kGuard = 16;
constexpr char kGuardByte = static_cast<char>(0xa5);

class ApiGate {
 public:
  explicit ApiGate(const Config& config)
      : config_(config),
        codec_(DrawSecret(), config.value_size),
        rng_(Mix64(config.seed) ^ codec_.secret().words[0]),
        progress_(config.tick_ms, 1) {}

  int Run();

 private:
  std::vector<uint64_t> ChooseKeys();
  void CheckMissingKeys(const std::vector<uint64_t>& keys);
  void CheckWrites(const std::vector<uint64_t>& keys);
  void CheckDeletes(const std::vector<uint64_t>& keys);
  void CheckReadModifyWrite(const std::vector<uint64_t>& keys);
  void CheckScans(const std::string& when);
  void CheckReopen(const std::vector<uint64_t>& keys, int round);
  void ReadAll(const char* kind, const std::vector<uint64_t>& keys);

  void Put(uint64_t key, uint64_t version);
  void PutBytes(uint64_t key, const std::string& bytes);
  void ReadExpect(const char* kind, uint64_t key, const std::string& when);
  void RmwExpect(uint64_t key, uint64_t increment);
  void ScanExpect(uint64_t start, uint32_t count, const std::string& when);
  std::string Describe(uint64_t key, const std::string& got,
                       const std::string& expected) const;
  std::string Buffer() const {
    return std::string(config_.value_size + kGuard, kGuardByte);
  }
  bool GuardIntact(const std::string& buffer) const {
    return buffer.compare(config_.value_size, kGuard,
                          std::string(kGuard, kGuardByte)) == 0;
  }

  const Config& config_;
  GateCodec codec_;
  SplitMix64 rng_;
  std::unique_ptr<KVStore> store_;
  std::map<uint64_t, std::string> model_;
  std::map<uint64_t, uint64_t> versions_;
  std::vector<uint64_t> deleted_;
  FailureLog failures_;
  uint64_t scans_ = 0;
  uint32_t threads_before_ = 0;
  // Counts every store call (phase `gate-api`).
  ProgressTicker progress_;
};

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_API_GATE_H_
