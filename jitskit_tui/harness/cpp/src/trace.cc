#include "trace.h"

#include <cmath>

namespace jitskit::harness {

TraceGenerator::TraceGenerator(const Config& config)
    : config_(config),
      keys_(config.seed),
      rng_(Mix64(config.seed ^ 0x3c6ef372fe94f82bULL)),
      inserted_(config.record_count) {
  double cumulative = 0;
  for (int i = 0; i < kOpTypeCount; ++i) {
    cumulative += config.mix[i];
    double scaled = std::ldexp(cumulative, 64);
    thresholds_[i] = scaled >= std::ldexp(1.0, 64)
                         ? UINT64_MAX
                         : static_cast<uint64_t>(scaled);
  }
  // The last op type with a share takes any rounding remainder.
  for (int i = kOpTypeCount - 1; i >= 0; --i) {
    if (config.mix[i] > 0) {
      thresholds_[i] = UINT64_MAX;
      break;
    }
  }
  // As YCSB: the chooser's domain leaves room for twice the expected inserts,
  // and draws beyond the records inserted so far are retried.
  double expected_inserts = static_cast<double>(config.TraceLength()) *
                            config.Mix(OpType::kInsert) * 2.0;
  domain_ = config.record_count + static_cast<uint64_t>(expected_inserts);
  double theta = config.zipfian_constant;
  switch (config.distribution) {
    case KeyDistribution::kZipfian:
      if (config.zipfian_scrambled) {
        scrambled_ = std::make_unique<ScrambledZipfian>(
            domain_, theta, Mix64(config.seed ^ 0xa54ff53a5f1d36f1ULL));
      } else {
        zipfian_ = std::make_unique<Zipfian>(domain_, theta);
      }
      break;
    case KeyDistribution::kLatest:
      zipfian_ = std::make_unique<Zipfian>(inserted_, theta);
      break;
    case KeyDistribution::kUniform:
    case KeyDistribution::kHotspot:
      break;
  }
  if (config.scan_length_distribution == ScanLengthDistribution::kZipfian) {
    scan_zipfian_ = std::make_unique<Zipfian>(
        config.scan_length_max - config.scan_length_min + 1,
        kYcsbDefaultZipfian);
  }
}

uint64_t TraceGenerator::ChooseRecord() {
  switch (config_.distribution) {
    case KeyDistribution::kUniform:
      return rng_.Below(inserted_);
    case KeyDistribution::kHotspot:
      return HotspotNext(rng_, inserted_, config_.hotspot_data_fraction,
                         config_.hotspot_op_fraction);
    case KeyDistribution::kLatest:
      // YCSB's SkewedLatestGenerator: zipfian over recency of inserts.
      return inserted_ - 1 - zipfian_->NextGrowing(rng_, inserted_);
    case KeyDistribution::kZipfian:
      break;
  }
  for (;;) {
    uint64_t record =
        scrambled_ ? scrambled_->Next(rng_) : zipfian_->Next(rng_);
    if (record < inserted_) return record;
  }
}

uint32_t TraceGenerator::ChooseScanLength() {
  uint32_t low = config_.scan_length_min;
  uint32_t high = config_.scan_length_max;
  switch (config_.scan_length_distribution) {
    case ScanLengthDistribution::kConstant:
      return high;
    case ScanLengthDistribution::kZipfian:
      return low + static_cast<uint32_t>(scan_zipfian_->Next(rng_));
    case ScanLengthDistribution::kUniform:
      break;
  }
  return low + static_cast<uint32_t>(rng_.Below(uint64_t{high} - low + 1));
}

Op TraceGenerator::Next() {
  uint64_t draw = rng_.Next();
  int type = 0;
  while (type < kOpTypeCount - 1 && draw >= thresholds_[type]) ++type;
  Op op{};
  op.type = static_cast<OpType>(type);
  uint64_t record = 0;
  if (op.type == OpType::kInsert) {
    record = inserted_++;
  } else {
    record = ChooseRecord();
    if (op.type == OpType::kScan) op.scan_length = ChooseScanLength();
  }
  op.key = keys_.KeyOf(record);
  op.loaded = record < config_.record_count;
  return op;
}

Trace GenerateTrace(const Config& config) {
  Trace trace;
  uint64_t length = config.TraceLength();
  uint32_t threads = config.threads;
  trace.per_thread.resize(threads);
  for (uint32_t t = 0; t < threads; ++t) {
    // Exact sizes so generation leaves no spare capacity behind.
    trace.per_thread[t].reserve(length / threads + (t < length % threads));
  }
  TraceGenerator generator(config);
  for (uint64_t i = 0; i < length; ++i) {
    trace.per_thread[i % threads].push_back(generator.Next());
  }
  trace.total_ops = length;
  trace.total_records = generator.inserted();
  return trace;
}

}  // namespace jitskit::harness
