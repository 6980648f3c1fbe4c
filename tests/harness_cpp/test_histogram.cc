// Histogram: bucketing is exact at the edges and percentiles are within the
// bucket resolution of the exact ones.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "histogram.h"
#include "rng.h"
#include "unit.h"

namespace {

using jitskit::harness::Histogram;
using jitskit::harness::SplitMix64;

void EveryValueLandsInItsBucket() {
  SplitMix64 rng(1);
  std::vector<uint64_t> values = {0, 1, 31, 32, 33, 63, 64, 65, 1000,
                                  UINT64_MAX, UINT64_MAX - 1, 1ULL << 63};
  for (int i = 0; i < 100000; ++i) values.push_back(rng.Next() >> rng.Below(64));
  for (uint64_t value : values) {
    int index = Histogram::Index(value);
    uint64_t low = Histogram::BucketLow(index);
    uint64_t width = Histogram::BucketWidth(index);
    if (!unit::Expect(index >= 0 && index < Histogram::kBuckets &&
                          value >= low && value - low < width,
                      "value " + std::to_string(value) + " in bucket " +
                          std::to_string(index))) {
      return;
    }
  }
}

void BucketsAreContiguousAndOrdered() {
  for (int i = 1; i < Histogram::kBuckets; ++i) {
    uint64_t end = Histogram::BucketLow(i - 1) + Histogram::BucketWidth(i - 1);
    if (!unit::Expect(end == Histogram::BucketLow(i),
                      "bucket " + std::to_string(i) + " starts where " +
                          std::to_string(i - 1) + " ends")) {
      return;
    }
  }
}

void PercentilesMatchExactWithinResolution() {
  SplitMix64 rng(7);
  std::vector<uint64_t> values;
  Histogram histogram;
  for (int i = 0; i < 200000; ++i) {
    // Log-uniform from 1 ns to ~1 s, like real latencies.
    auto value = static_cast<uint64_t>(std::exp(rng.NextDouble() * 20.7));
    values.push_back(value);
    histogram.Record(value);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    auto rank = static_cast<size_t>(std::ceil(q * values.size()));
    double exact = static_cast<double>(values[rank - 1]);
    double got = static_cast<double>(histogram.Percentile(q));
    unit::ExpectNear(got, exact, exact / 32 + 1,
                     "p" + std::to_string(q * 100));
  }
  unit::Expect(histogram.max() == values.back(), "max is exact");
  unit::Expect(histogram.total() == values.size(), "total counts all values");
  unit::Expect(histogram.Percentile(1.0) == values.back(), "p100 is the max");
}

void SmallValuesAreExact() {
  Histogram histogram;
  for (uint64_t v = 1; v <= 10; ++v) histogram.Record(v);
  unit::Expect(histogram.Percentile(0.5) == 5, "median of 1..10 is 5");
  unit::Expect(histogram.Percentile(0.9) == 9, "p90 of 1..10 is 9");
  unit::Expect(histogram.Percentile(0.0) == 1, "p0 is the smallest");
}

void MergeAddsCountsAndKeepsMax() {
  Histogram a;
  Histogram b;
  for (int i = 0; i < 100; ++i) a.Record(10);
  for (int i = 0; i < 100; ++i) b.Record(1000);
  b.Record(5000);
  a.Merge(b);
  unit::Expect(a.total() == 201, "merged total");
  unit::Expect(a.max() == 5000, "merged max");
  unit::Expect(a.Percentile(0.25) == 10, "low quartile from a");
  unit::ExpectNear(static_cast<double>(a.Percentile(0.75)), 1000, 1000 / 32.0,
                   "high quartile from b");
}

void EmptyHistogramReportsZero() {
  Histogram histogram;
  unit::Expect(histogram.Percentile(0.99) == 0 && histogram.max() == 0,
               "empty histogram reports 0");
}

void WeightedValuesCountAsManyOperations() {
  // 10 sampled values of 1000 that each stand for 1 operation, and 10 of 10
  // that each stand for 99: the fast ones are 99% of the operations.
  Histogram histogram;
  for (int i = 0; i < 10; ++i) histogram.Record(1000, 1);
  for (int i = 0; i < 10; ++i) histogram.Record(10, 99);
  unit::Expect(histogram.total() == 1000, "total is the sum of the weights");
  unit::Expect(histogram.Percentile(0.5) == 10 && histogram.Percentile(0.98) == 10,
               "the heavy fast values hold the median and the 98th percentile");
  unit::ExpectNear(static_cast<double>(histogram.Percentile(0.995)), 1000,
                   1000 / 32.0, "the slow 1% holds the top");
  unit::Expect(histogram.max() == 1000, "max is the largest value recorded");
}

const unit::TestCase kTests[] = {
    {"histogram: every value lands in its bucket", EveryValueLandsInItsBucket},
    {"histogram: buckets are contiguous", BucketsAreContiguousAndOrdered},
    {"histogram: percentiles within resolution", PercentilesMatchExactWithinResolution},
    {"histogram: small values are exact", SmallValuesAreExact},
    {"histogram: merge", MergeAddsCountsAndKeepsMax},
    {"histogram: empty", EmptyHistogramReportsZero},
    {"histogram: weighted values", WeightedValuesCountAsManyOperations},
};

}  // namespace
