#include "config.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace jitskit::harness {
namespace {

std::string Trim(const std::string& text) {
  const char* space = " \t\r\n";
  size_t begin = text.find_first_not_of(space);
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(space);
  return text.substr(begin, end - begin + 1);
}

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, ',')) parts.push_back(Trim(part));
  return parts;
}

// Each parser returns an empty string on success, else what was expected.
std::string ParseU64(const std::string& text, uint64_t* out) {
  const char* expected = "an unsigned integer (decimal or 0x hex)";
  if (text.empty() || text[0] == '-' || text[0] == '+') return expected;
  errno = 0;
  char* end = nullptr;
  unsigned long long value = std::strtoull(text.c_str(), &end, 0);
  if (errno != 0 || *end != '\0') return expected;
  *out = value;
  return "";
}

std::string ParseU32(const std::string& text, uint32_t* out) {
  uint64_t value = 0;
  std::string problem = ParseU64(text, &value);
  if (!problem.empty()) return problem;
  if (value > UINT32_MAX) return "an integer below 2^32";
  *out = static_cast<uint32_t>(value);
  return "";
}

std::string ParseDouble(const std::string& text, double* out) {
  const char* expected = "a number";
  if (text.empty()) return expected;
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(value)) return expected;
  *out = value;
  return "";
}

std::string ParseBool(const std::string& text, bool* out) {
  if (text == "1" || text == "true") {
    *out = true;
  } else if (text == "0" || text == "false") {
    *out = false;
  } else {
    return "1, 0, true or false";
  }
  return "";
}

// Kernel cpuset syntax: "0,2,4-7"; empty means no pinning.
std::string ParseCpus(const std::string& text, std::vector<int>* out) {
  const char* expected = "a CPU list such as 0,1 or 0-3 (or empty)";
  out->clear();
  if (text.empty()) return "";
  for (const std::string& part : SplitComma(text)) {
    size_t dash = part.find('-');
    uint64_t first = 0;
    uint64_t last = 0;
    if (!ParseU64(part.substr(0, dash), &first).empty()) return expected;
    last = first;
    if (dash != std::string::npos &&
        !ParseU64(part.substr(dash + 1), &last).empty()) {
      return expected;
    }
    if (last < first || last >= 4096) return expected;
    for (uint64_t cpu = first; cpu <= last; ++cpu) {
      out->push_back(static_cast<int>(cpu));
    }
  }
  return "";
}

std::string ParseOperations(const std::string& text, RequiredOps* out) {
  RequiredOps ops;
  ops.read = false;
  ops.upsert = false;
  for (const std::string& name : SplitComma(text)) {
    if (name == "read") {
      ops.read = true;
    } else if (name == "upsert") {
      ops.upsert = true;
    } else if (name == "delete") {
      ops.del = true;
    } else if (name == "rmw" || name == "read_modify_write") {
      ops.rmw = true;
    } else if (name == "scan") {
      ops.scan = true;
    } else {
      return "a comma list of read, upsert, delete, rmw, scan (got '" + name +
             "')";
    }
  }
  if (!ops.read || !ops.upsert) return "a list that includes read and upsert";
  *out = ops;
  return "";
}

template <typename Enum, size_t N>
std::string ParseChoice(const std::string& text,
                        const std::pair<const char*, Enum> (&choices)[N],
                        Enum* out) {
  std::string expected = "one of";
  for (const auto& choice : choices) {
    if (text == choice.first) {
      *out = choice.second;
      return "";
    }
    expected += std::string(" ") + choice.first;
  }
  return expected;
}

const std::pair<const char*, KeyDistribution> kDistributions[] = {
    {"uniform", KeyDistribution::kUniform},
    {"zipfian", KeyDistribution::kZipfian},
    {"latest", KeyDistribution::kLatest},
    {"hotspot", KeyDistribution::kHotspot}};
const std::pair<const char*, ScanLengthDistribution> kScanDistributions[] = {
    {"uniform", ScanLengthDistribution::kUniform},
    {"zipfian", ScanLengthDistribution::kZipfian},
    {"constant", ScanLengthDistribution::kConstant}};
const std::pair<const char*, Durability> kDurabilities[] = {
    {"none", Durability::kNone},
    {"process_crash", Durability::kProcessCrash},
    {"power_loss", Durability::kPowerLoss}};

using Setter = std::string (*)(const std::string&, Config*);

struct KeyHandler {
  const char* key;
  Setter set;
};

std::string SetMix(const std::string& text, Config* c, OpType type) {
  return ParseDouble(text, &c->mix[static_cast<int>(type)]);
}

const KeyHandler kHandlers[] = {
    {"value_size",
     [](const std::string& v, Config* c) { return ParseU32(v, &c->value_size); }},
    {"threads",
     [](const std::string& v, Config* c) { return ParseU32(v, &c->threads); }},
    {"cpus",
     [](const std::string& v, Config* c) { return ParseCpus(v, &c->cpus); }},
    {"record_count",
     [](const std::string& v, Config* c) { return ParseU64(v, &c->record_count); }},
    {"operation_count",
     [](const std::string& v, Config* c) { return ParseU64(v, &c->operation_count); }},
    {"duration_s",
     [](const std::string& v, Config* c) { return ParseDouble(v, &c->duration_s); }},
    {"mix_read",
     [](const std::string& v, Config* c) { return SetMix(v, c, OpType::kRead); }},
    {"mix_update",
     [](const std::string& v, Config* c) { return SetMix(v, c, OpType::kUpdate); }},
    {"mix_insert",
     [](const std::string& v, Config* c) { return SetMix(v, c, OpType::kInsert); }},
    {"mix_scan",
     [](const std::string& v, Config* c) { return SetMix(v, c, OpType::kScan); }},
    {"mix_rmw",
     [](const std::string& v, Config* c) { return SetMix(v, c, OpType::kRmw); }},
    {"mix_delete",
     [](const std::string& v, Config* c) { return SetMix(v, c, OpType::kDelete); }},
    {"distribution",
     [](const std::string& v, Config* c) {
       return ParseChoice(v, kDistributions, &c->distribution);
     }},
    {"zipfian_constant",
     [](const std::string& v, Config* c) { return ParseDouble(v, &c->zipfian_constant); }},
    {"zipfian_scrambled",
     [](const std::string& v, Config* c) { return ParseBool(v, &c->zipfian_scrambled); }},
    {"hotspot_data_fraction",
     [](const std::string& v, Config* c) { return ParseDouble(v, &c->hotspot_data_fraction); }},
    {"hotspot_op_fraction",
     [](const std::string& v, Config* c) { return ParseDouble(v, &c->hotspot_op_fraction); }},
    {"scan_length_distribution",
     [](const std::string& v, Config* c) {
       return ParseChoice(v, kScanDistributions, &c->scan_length_distribution);
     }},
    {"scan_length_min",
     [](const std::string& v, Config* c) { return ParseU32(v, &c->scan_length_min); }},
    {"scan_length_max",
     [](const std::string& v, Config* c) { return ParseU32(v, &c->scan_length_max); }},
    {"seed",
     [](const std::string& v, Config* c) { return ParseU64(v, &c->seed); }},
    {"mem_budget_bytes",
     [](const std::string& v, Config* c) { return ParseU64(v, &c->mem_budget_bytes); }},
    {"data_dir",
     [](const std::string& v, Config* c) { c->data_dir = v; return std::string(); }},
    {"durability",
     [](const std::string& v, Config* c) { return ParseChoice(v, kDurabilities, &c->durability); }},
    {"tick_ms",
     [](const std::string& v, Config* c) { return ParseU32(v, &c->tick_ms); }},
    {"warmup_s",
     [](const std::string& v, Config* c) { return ParseDouble(v, &c->warmup_s); }},
    {"driver_floor_ms",
     [](const std::string& v, Config* c) { return ParseU32(v, &c->driver_floor_ms); }},
    {"latency_sample",
     [](const std::string& v, Config* c) { return ParseU32(v, &c->latency_sample); }},
    {"operations",
     [](const std::string& v, Config* c) { return ParseOperations(v, &c->operations); }},
    {"trace_ops",
     [](const std::string& v, Config* c) { return ParseU64(v, &c->trace_ops); }},
    {"gate_ops",
     [](const std::string& v, Config* c) { return ParseU64(v, &c->gate_ops); }},
};

std::string KnownKeys() {
  std::string keys;
  for (const KeyHandler& handler : kHandlers) {
    if (!keys.empty()) keys += ", ";
    keys += handler.key;
  }
  return keys;
}

// Checks that span keys; returns a message naming the keys, or "".
std::string Validate(const Config& c) {
  std::ostringstream out;
  if (c.value_size < 32 || c.value_size > (1u << 20)) {
    out << "value_size is " << c.value_size
        << "; it must be between 32 and 1048576 bytes (the harness keeps a "
           "counter, the key, a version and an integrity code in 32 bytes)";
  } else if (c.threads < 1 || c.threads > 1024) {
    out << "threads is " << c.threads << "; it must be between 1 and 1024";
  } else if (c.record_count < 1) {
    out << "record_count must be at least 1";
  } else if (c.operation_count == 0 && c.duration_s <= 0) {
    out << "operation_count and duration_s are both 0, so the run phase has "
           "no bound; set one of them";
  } else if (c.duration_s < 0) {
    out << "duration_s must not be negative";
  } else if (c.zipfian_constant <= 0 || c.zipfian_constant >= 1) {
    out << "zipfian_constant is " << c.zipfian_constant
        << "; it must be between 0 and 1 (exclusive)";
  } else if (c.hotspot_data_fraction <= 0 || c.hotspot_data_fraction >= 1 ||
             c.hotspot_op_fraction <= 0 || c.hotspot_op_fraction >= 1) {
    out << "hotspot_data_fraction and hotspot_op_fraction must be between 0 "
           "and 1 (exclusive)";
  } else if (c.scan_length_min < 1 || c.scan_length_max < c.scan_length_min) {
    out << "scan lengths must satisfy 1 <= scan_length_min <= scan_length_max "
        << "(got " << c.scan_length_min << " and " << c.scan_length_max << ")";
  } else if (c.tick_ms < 10 || c.tick_ms > 60000) {
    out << "tick_ms is " << c.tick_ms << "; it must be between 10 and 60000";
  } else if (c.warmup_s < 0 ||
             (c.operation_count == 0 && c.warmup_s >= c.duration_s)) {
    out << "warmup_s is " << c.warmup_s << "; it must be at least 0 and, in a "
        << "run bounded by duration_s, shorter than duration_s ("
        << c.duration_s << ") so the run has a steady window";
  } else if (c.driver_floor_ms > 10000 || c.latency_sample > 65536) {
    out << "driver_floor_ms must be at most 10000 and latency_sample at most "
           "65536";
  } else if (c.durability != Durability::kNone && c.data_dir.empty()) {
    out << "durability is " << DurabilityName(c.durability)
        << " but data_dir is empty; a durable store needs a data directory";
  } else if (c.trace_ops < 1 || c.gate_ops < 16) {
    out << "trace_ops must be at least 1 and gate_ops at least 16";
  }
  if (out.tellp() > 0) return out.str();

  double sum = 0;
  for (int i = 0; i < kOpTypeCount; ++i) {
    if (c.mix[i] < 0 || c.mix[i] > 1) {
      return std::string("mix_") + OpTypeName(static_cast<OpType>(i)) +
             " must be between 0 and 1";
    }
    sum += c.mix[i];
  }
  if (std::fabs(sum - 1.0) > 1e-6) {
    out << "the mix_* fractions sum to " << sum << "; they must sum to 1";
    return out.str();
  }
  const struct {
    OpType type;
    bool supported;
    const char* op;
  } needs[] = {{OpType::kScan, c.operations.scan, "scan"},
               {OpType::kRmw, c.operations.rmw, "rmw"},
               {OpType::kDelete, c.operations.del, "delete"}};
  for (const auto& need : needs) {
    if (c.Mix(need.type) > 0 && !need.supported) {
      return std::string("the mix has ") + OpTypeName(need.type) +
             " operations but `operations` does not list " + need.op;
    }
  }
  return "";
}

}  // namespace

const char* OpTypeName(OpType type) {
  static const char* const kNames[] = {"read", "update", "insert",
                                       "scan", "read_modify_write", "delete"};
  return kNames[static_cast<int>(type)];
}

const char* OpTypeTraceName(OpType type) {
  static const char* const kNames[] = {"READ", "UPDATE", "INSERT",
                                       "SCAN", "RMW",    "DELETE"};
  return kNames[static_cast<int>(type)];
}

const char* DurabilityName(Durability durability) {
  switch (durability) {
    case Durability::kNone:
      return "none";
    case Durability::kProcessCrash:
      return "process_crash";
    case Durability::kPowerLoss:
      return "power_loss";
  }
  return "?";
}

uint64_t Config::TraceLength() const {
  if (operation_count > 0 && operation_count < trace_ops) {
    return operation_count;
  }
  return trace_ops;
}

bool ParseConfig(const std::string& text, const std::string& origin,
                 Config* config, std::string* error) {
  Config parsed;
  std::set<std::string> seen;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    std::string trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    std::string where = origin + " line " + std::to_string(number) + ": ";
    size_t equals = trimmed.find('=');
    if (equals == std::string::npos) {
      *error = where + "expected key=value, got '" + trimmed + "'";
      return false;
    }
    std::string key = Trim(trimmed.substr(0, equals));
    std::string value = Trim(trimmed.substr(equals + 1));
    const KeyHandler* handler = nullptr;
    for (const KeyHandler& candidate : kHandlers) {
      if (key == candidate.key) handler = &candidate;
    }
    if (handler == nullptr) {
      *error = where + "unknown key '" + key + "'; known keys: " + KnownKeys();
      return false;
    }
    if (!seen.insert(key).second) {
      *error = where + "key '" + key + "' is set twice";
      return false;
    }
    std::string expected = handler->set(value, &parsed);
    if (!expected.empty()) {
      *error = where + key + " = '" + value + "': expected " + expected;
      return false;
    }
  }
  std::string problem = Validate(parsed);
  if (!problem.empty()) {
    *error = origin + ": " + problem;
    return false;
  }
  *config = parsed;
  return true;
}

bool LoadConfigFile(const std::string& path, Config* config,
                    std::string* error) {
  std::ifstream file(path);
  if (!file) {
    *error = "cannot read config file " + path +
             "; check the path given to --config";
    return false;
  }
  std::stringstream text;
  text << file.rdbuf();
  return ParseConfig(text.str(), path, config, error);
}

}  // namespace jitskit::harness
