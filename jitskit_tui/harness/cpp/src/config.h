// The harness configuration: flat `key=value` lines (see docs/harness-protocol.md).
#ifndef JITSKIT_HARNESS_CONFIG_H_
#define JITSKIT_HARNESS_CONFIG_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "jitskit/kvstore.h"

namespace jitskit::harness {

// Run-phase operation types, in the order used by every per-op array.
enum class OpType : uint8_t { kRead, kUpdate, kInsert, kScan, kRmw, kDelete };
constexpr int kOpTypeCount = 6;

// Names used in JSON output; they match the spec card's operation kinds.
const char* OpTypeName(OpType type);
// Names used by `jitskit-trace` lines.
const char* OpTypeTraceName(OpType type);

enum class KeyDistribution { kUniform, kZipfian, kLatest, kHotspot };
enum class ScanLengthDistribution { kUniform, kZipfian, kConstant };

// Store operations a spec requires (the `operations` key).
struct RequiredOps {
  bool read = true;
  bool upsert = true;
  bool del = false;
  bool rmw = false;
  bool scan = false;
};

struct Config {
  uint32_t value_size = 64;
  uint32_t threads = 1;
  std::vector<int> cpus;
  uint64_t record_count = 1000;
  uint64_t operation_count = 1000;
  double duration_s = 0;
  std::array<double, kOpTypeCount> mix{};
  KeyDistribution distribution = KeyDistribution::kZipfian;
  double zipfian_constant = 0.99;
  bool zipfian_scrambled = true;
  double hotspot_data_fraction = 0.2;
  double hotspot_op_fraction = 0.8;
  ScanLengthDistribution scan_length_distribution =
      ScanLengthDistribution::kUniform;
  uint32_t scan_length_min = 1;
  uint32_t scan_length_max = 100;
  uint64_t seed = 42;
  uint64_t mem_budget_bytes = 0;
  std::string data_dir;
  Durability durability = Durability::kNone;
  uint32_t tick_ms = 100;
  // bench: the run phase's first seconds that counts, latencies and CPU time
  // leave out (cut at the first tick at or after it; 0: no warm-up).
  double warmup_s = 0;
  // bench: how long the driver runs over the built-in no-op store before the
  // load, to measure its own cost per operation; 0 skips it.
  uint32_t driver_floor_ms = 150;
  // bench: time one operation in this many on average (random gaps); 0 lets
  // the harness choose from the warm-up's speed.
  uint32_t latency_sample = 0;
  RequiredOps operations;
  // Most run-phase operations held in memory; longer runs loop over them.
  uint64_t trace_ops = 8000000;
  // Operations per thread in gate-concurrency.
  uint64_t gate_ops = 40000;

  double Mix(OpType type) const { return mix[static_cast<int>(type)]; }
  // Run-phase operations to generate (before looping).
  uint64_t TraceLength() const;
};

// Parses config text; on failure returns false and sets `error` to a message
// naming the origin, line and key, and saying what is expected.
bool ParseConfig(const std::string& text, const std::string& origin,
                 Config* config, std::string* error);
bool LoadConfigFile(const std::string& path, Config* config,
                    std::string* error);

const char* DurabilityName(Durability durability);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_CONFIG_H_
