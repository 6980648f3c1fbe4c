// Config parsing: every mistake is an error naming the line and key.
#include <string>

#include "config.h"
#include "unit.h"

namespace {

using namespace jitskit::harness;

const char kGood[] =
    "# a comment\n"
    "value_size = 100\n"
    "threads=2\n"
    "cpus=0-2,5\n"
    "\n"
    "record_count=1000\n"
    "operation_count=0\n"
    "duration_s=1.5\n"
    "mix_read=0.5\n"
    "mix_update=0.25\n"
    "mix_scan=0.25\n"
    "operations=read,upsert,scan,read_modify_write\n"
    "distribution=hotspot\n"
    "seed=0xff\n"
    "durability=process_crash\n"
    "data_dir=/data\n";

std::string ErrorFor(const std::string& text) {
  Config config;
  std::string error;
  bool ok = ParseConfig(text, "test.cfg", &config, &error);
  return ok ? "" : error;
}

bool Mentions(const std::string& error, const std::string& part) {
  return error.find(part) != std::string::npos;
}

void ParsesAGoodConfig() {
  Config config;
  std::string error;
  bool ok = ParseConfig(kGood, "test.cfg", &config, &error);
  if (!unit::Expect(ok, "good config parses: " + error)) return;
  unit::Expect(config.value_size == 100 && config.threads == 2, "numbers");
  unit::Expect(config.cpus == std::vector<int>({0, 1, 2, 5}), "cpu ranges");
  unit::Expect(config.seed == 255, "hex seed");
  unit::Expect(config.duration_s == 1.5 && config.operation_count == 0, "bounds");
  unit::Expect(config.operations.scan && config.operations.rmw &&
                   !config.operations.del,
               "operations, with read_modify_write for rmw");
  unit::Expect(config.distribution == KeyDistribution::kHotspot, "distribution");
  unit::Expect(config.durability == jitskit::Durability::kProcessCrash &&
                   config.data_dir == "/data",
               "durability and data_dir");
  unit::Expect(config.tick_ms == 100 && config.zipfian_constant == 0.99 &&
                     config.warmup_s == 0 && config.driver_floor_ms == 150 &&
                     config.latency_sample == 0,
               "defaults for keys not given");
}

void UnknownKeyNamesKeyAndLine() {
  std::string error = ErrorFor("threads=1\nmix_reed=1\n");
  unit::Expect(Mentions(error, "line 2") && Mentions(error, "unknown key 'mix_reed'") &&
                   Mentions(error, "mix_read"),
               "unknown key error names the line, the key and the known keys: " + error);
}

void BadValuesSayWhatIsExpected() {
  struct Case {
    const char* text;
    const char* mentions;
  } cases[] = {
      {"threads=two\nmix_read=1\n", "expected an unsigned integer"},
      {"threads=-1\nmix_read=1\n", "expected an unsigned integer"},
      {"mix_read=lots\n", "expected a number"},
      {"distribution=pareto\nmix_read=1\n", "one of uniform zipfian latest hotspot"},
      {"durability=sometimes\nmix_read=1\n", "none process_crash power_loss"},
      {"cpus=3-1\nmix_read=1\n", "CPU list"},
      {"operations=read,upsert,teleport\nmix_read=1\n", "teleport"},
      {"operations=read\nmix_read=1\n", "includes read and upsert"},
      {"zipfian_scrambled=maybe\nmix_read=1\n", "1, 0, true or false"},
      {"threads\nmix_read=1\n", "expected key=value"},
      {"threads=1\nthreads=2\nmix_read=1\n", "set twice"},
  };
  for (const Case& c : cases) {
    std::string error = ErrorFor(c.text);
    unit::Expect(Mentions(error, c.mentions),
                 std::string("'") + c.text + "' gives an error mentioning '" +
                     c.mentions + "', got: " + error);
  }
}

void CrossKeyChecks() {
  struct Case {
    const char* text;
    const char* mentions;
  } cases[] = {
      {"mix_read=0.5\nmix_update=0.4\n", "sum to 0.9"},
      {"mix_read=0.5\nmix_scan=0.5\n", "does not list scan"},
      {"mix_read=0.5\nmix_delete=0.5\n", "does not list delete"},
      {"mix_read=0.5\nmix_rmw=0.5\n", "does not list rmw"},
      {"mix_read=1\noperation_count=0\n", "no bound"},
      {"mix_read=1\ndurability=power_loss\n", "data_dir is empty"},
      {"mix_read=1\nvalue_size=16\n", "value_size is 16"},
      {"mix_read=1\nthreads=0\n", "threads is 0"},
      {"mix_read=1\nscan_length_min=10\nscan_length_max=5\n", "scan_length_min"},
      {"mix_read=1\nzipfian_constant=1.5\n", "zipfian_constant"},
      {"mix_read=1\noperation_count=0\nduration_s=2\nwarmup_s=2\n",
       "shorter than duration_s"},
      {"mix_read=1\nwarmup_s=-1\n", "warmup_s is -1"},
      {"mix_read=1\ndriver_floor_ms=20000\n", "driver_floor_ms"},
  };
  for (const Case& c : cases) {
    std::string error = ErrorFor(c.text);
    unit::Expect(Mentions(error, c.mentions),
                 std::string("'") + c.text + "' gives an error mentioning '" +
                     c.mentions + "', got: " + error);
  }
}

void MissingFileIsAnError() {
  Config config;
  std::string error;
  unit::Expect(!LoadConfigFile("/nonexistent/x.cfg", &config, &error) &&
                   Mentions(error, "/nonexistent/x.cfg"),
               "a missing file is an error naming it: " + error);
}

void TraceLengthIsBoundedByTraceOps() {
  Config config;
  config.operation_count = 100;
  config.trace_ops = 1000;
  unit::Expect(config.TraceLength() == 100, "short runs hold the whole run");
  config.operation_count = 5000;
  unit::Expect(config.TraceLength() == 1000, "long runs loop over trace_ops");
  config.operation_count = 0;
  unit::Expect(config.TraceLength() == 1000, "timed runs loop over trace_ops");
}

const unit::TestCase kTests[] = {
    {"config: a good config", ParsesAGoodConfig},
    {"config: unknown key", UnknownKeyNamesKeyAndLine},
    {"config: bad values", BadValuesSayWhatIsExpected},
    {"config: cross-key checks", CrossKeyChecks},
    {"config: missing file", MissingFileIsAnError},
    {"config: trace length", TraceLengthIsBoundedByTraceOps},
};

}  // namespace
