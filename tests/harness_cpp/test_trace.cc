// Traces: a pure function of config and seed; keys unique and spread over the
// whole 64-bit range; mixes, latest and scan lengths as configured.
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "config.h"
#include "rng.h"
#include "trace.h"
#include "unit.h"
#include "write_tracker.h"

namespace {

using namespace jitskit::harness;

Config BaseConfig() {
  Config config;
  config.record_count = 10000;
  config.operation_count = 100000;
  config.mix = {0.5, 0.5, 0, 0, 0, 0};
  return config;
}

bool SameTrace(const Trace& a, const Trace& b) {
  if (a.per_thread.size() != b.per_thread.size()) return false;
  for (size_t t = 0; t < a.per_thread.size(); ++t) {
    if (a.per_thread[t].size() != b.per_thread[t].size()) return false;
    for (size_t i = 0; i < a.per_thread[t].size(); ++i) {
      const Op& x = a.per_thread[t][i];
      const Op& y = b.per_thread[t][i];
      if (x.key != y.key || x.type != y.type || x.scan_length != y.scan_length) {
        return false;
      }
    }
  }
  return true;
}

void SameSeedSameTrace() {
  for (KeyDistribution distribution :
       {KeyDistribution::kUniform, KeyDistribution::kZipfian,
        KeyDistribution::kLatest, KeyDistribution::kHotspot}) {
    Config config = BaseConfig();
    config.distribution = distribution;
    config.mix = {0.4, 0.2, 0.1, 0.1, 0.1, 0.1};
    config.operations.scan = config.operations.rmw = config.operations.del = true;
    unit::Expect(SameTrace(GenerateTrace(config), GenerateTrace(config)),
                 "same config and seed give the same trace");
    Config other = config;
    other.seed = config.seed + 1;
    unit::Expect(!SameTrace(GenerateTrace(config), GenerateTrace(other)),
                 "another seed gives another trace");
  }
}

void TraceIsSplitRoundRobin() {
  Config config = BaseConfig();
  config.operation_count = 1001;
  config.threads = 1;
  Trace single = GenerateTrace(config);
  config.threads = 3;
  Trace split = GenerateTrace(config);
  unit::Expect(split.per_thread[0].size() == 334 && split.per_thread[2].size() == 333,
               "1001 ops over 3 threads: 334, 334, 333");
  bool same = true;
  for (size_t i = 0; i < 1001; ++i) {
    same &= split.per_thread[i % 3][i / 3].key == single.per_thread[0][i].key;
  }
  unit::Expect(same, "operation i goes to thread i % threads, in order");
}

void MixMatchesFractions() {
  Config config = BaseConfig();
  config.operation_count = 400000;
  config.mix = {0.4, 0.2, 0.1, 0.1, 0.15, 0.05};
  Trace trace = GenerateTrace(config);
  std::vector<double> counts(kOpTypeCount, 0);
  for (const Op& op : trace.per_thread[0]) ++counts[static_cast<int>(op.type)];
  for (int i = 0; i < kOpTypeCount; ++i) {
    unit::ExpectNear(counts[i] / 400000.0, config.mix[i], 0.004,
                     std::string("share of ") + OpTypeName(static_cast<OpType>(i)));
  }
  config.mix = {0.5, 0.5, 0, 0, 0, 0};
  Trace two = GenerateTrace(config);
  bool only_two = true;
  for (const Op& op : two.per_thread[0]) {
    only_two &= op.type == OpType::kRead || op.type == OpType::kUpdate;
  }
  unit::Expect(only_two, "op types with no share never appear");
}

void KeysAreABijectionSpreadOverTheRange() {
  SplitMix64 rng(4);
  for (int i = 0; i < 100000; ++i) {
    uint64_t x = rng.Next();
    if (!unit::Expect(UnMix64(Mix64(x)) == x, "UnMix64 inverts Mix64")) return;
  }
  KeyMap keys(42);
  std::set<uint64_t> seen;
  std::set<uint64_t> top_bytes;
  for (uint64_t record = 0; record < 100000; ++record) {
    uint64_t key = keys.KeyOf(record);
    seen.insert(key);
    top_bytes.insert(key >> 56);
    if (record < 1000 && !unit::Expect(keys.RecordOf(key) == record,
                                       "RecordOf inverts KeyOf")) {
      return;
    }
  }
  unit::Expect(seen.size() == 100000, "100000 records give 100000 distinct keys");
  unit::Expect(top_bytes.size() == 256, "keys cover every top byte");
  unit::Expect(KeyMap(1).KeyOf(0) != KeyMap(2).KeyOf(0),
               "the key of a record depends on the seed");
}

void InsertsCreateNewRecordsAndReadsFindLoadedOnes() {
  Config config = BaseConfig();
  config.mix = {0.5, 0, 0.5, 0, 0, 0};
  config.record_count = 100;
  config.operation_count = 1000;
  TraceGenerator generator(config);
  std::set<uint64_t> loaded;
  for (uint64_t r = 0; r < 100; ++r) loaded.insert(generator.keys().KeyOf(r));
  std::set<uint64_t> inserted;
  bool ok = true;
  for (int i = 0; i < 1000; ++i) {
    Op op = generator.Next();
    if (op.type == OpType::kInsert) {
      ok &= !op.loaded && loaded.count(op.key) == 0 && inserted.insert(op.key).second;
    } else {
      bool known = loaded.count(op.key) != 0 || inserted.count(op.key) != 0;
      ok &= known && op.loaded == (loaded.count(op.key) != 0);
    }
  }
  unit::Expect(ok, "inserts use fresh keys; reads pick loaded or inserted keys");
}

void LatestFavoursRecentInserts() {
  Config config = BaseConfig();
  config.distribution = KeyDistribution::kLatest;
  config.mix = {1, 0, 0, 0, 0, 0};
  config.record_count = 1000;
  config.operation_count = 500000;
  TraceGenerator generator(config);
  std::vector<double> by_recency(1000, 0);
  for (int i = 0; i < 500000; ++i) {
    uint64_t record = generator.keys().RecordOf(generator.Next().key);
    ++by_recency[999 - record];
  }
  double zetan = 0;
  for (int i = 1; i <= 1000; ++i) zetan += std::pow(i, -0.99);
  unit::ExpectNear(by_recency[0] / 500000, 1 / zetan, 0.01 / zetan,
                   "share of the newest record");
  unit::Expect(by_recency[0] > by_recency[1] && by_recency[1] > by_recency[10] &&
                   by_recency[10] > by_recency[500],
               "popularity falls with age");
}

void ScanLengthsStayInRange() {
  Config config = BaseConfig();
  config.mix = {0, 0, 0, 1, 0, 0};
  config.operations.scan = true;
  config.scan_length_min = 5;
  config.scan_length_max = 50;
  for (ScanLengthDistribution d :
       {ScanLengthDistribution::kUniform, ScanLengthDistribution::kZipfian,
        ScanLengthDistribution::kConstant}) {
    config.scan_length_distribution = d;
    TraceGenerator generator(config);
    uint32_t low = UINT32_MAX;
    uint32_t high = 0;
    for (int i = 0; i < 20000; ++i) {
      uint32_t length = generator.Next().scan_length;
      low = std::min(low, length);
      high = std::max(high, length);
    }
    if (d == ScanLengthDistribution::kConstant) {
      unit::Expect(low == 50 && high == 50, "constant scans use scan_length_max");
    } else {
      unit::Expect(low == 5 && high == 50, "scan lengths cover [min, max]");
    }
  }
}

void TrackerFollowsOneRecordIn64() {
  Config config = BaseConfig();
  config.record_count = 64000;
  config.operation_count = 200000;
  config.mix = {0.2, 0.4, 0.4, 0, 0, 0};
  Trace trace = GenerateTrace(config);
  KeyMap keys(config.seed);
  WriteTracker tracker(12345, trace.total_records);
  std::vector<uint64_t> marked = tracker.Mark(trace, keys);
  std::set<uint64_t> tracked_records;
  bool consistent = true;
  uint64_t writes = 0;
  for (const Op& op : trace.per_thread[0]) {
    bool write = op.type == OpType::kUpdate || op.type == OpType::kInsert;
    writes += write;
    if (!op.tracked) continue;
    consistent &= write && keys.KeyOf(tracker.RecordOfSlot(op.scan_length)) == op.key;
    tracked_records.insert(keys.RecordOf(op.key));
  }
  unit::Expect(consistent, "a tracked op's slot maps back to its key");
  unit::ExpectNear(static_cast<double>(marked[0]) / writes, 1.0 / 64, 0.004,
                   "about one write in 64 is tracked");
  bool same_residue = true;
  for (uint64_t record : tracked_records) {
    same_residue &= (record - *tracked_records.begin()) % 64 == 0;
  }
  unit::Expect(same_residue, "tracked records are one residue class mod 64");
  WriteTracker other(999, trace.total_records);
  unit::Expect(other.RecordOfSlot(5) != tracker.RecordOfSlot(5),
               "the salt (drawn at run time) chooses the records");
}

const unit::TestCase kTests[] = {
    {"trace: write tracker marks 1/64 of records", TrackerFollowsOneRecordIn64},
    {"trace: same seed, same trace", SameSeedSameTrace},
    {"trace: round-robin split", TraceIsSplitRoundRobin},
    {"trace: mix fractions", MixMatchesFractions},
    {"trace: keys are a bijection over the 64-bit range", KeysAreABijectionSpreadOverTheRange},
    {"trace: inserts and loaded keys", InsertsCreateNewRecordsAndReadsFindLoadedOnes},
    {"trace: latest favours recent inserts", LatestFavoursRecentInserts},
    {"trace: scan lengths", ScanLengthsStayInRange},
};

}  // namespace
