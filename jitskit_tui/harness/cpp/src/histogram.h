// Log-bucketed latency histogram: 32 linear buckets per power of two, so any
// recorded value is reported within about 1.6% of its true value.
#ifndef JITSKIT_HARNESS_HISTOGRAM_H_
#define JITSKIT_HARNESS_HISTOGRAM_H_

#include <array>
#include <cstdint>

namespace jitskit::harness {

class Histogram {
 public:
  static constexpr int kSubBits = 5;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = (64 - kSubBits + 1) * kSub;

  // `weight`: how many operations this value stands for (a sampled value
  // stands for the operations its sampler skipped).
  void Record(uint64_t value, uint64_t weight = 1) {
    counts_[Index(value)] += weight;
    if (value > max_) max_ = value;
  }
  void Merge(const Histogram& other);

  // The sum of the weights, counted from the buckets, so recording touches
  // one counter less.
  uint64_t total() const;
  uint64_t max() const { return max_; }
  // The value at quantile q in [0, 1]: the midpoint of the bucket holding the
  // ceil(q * total)-th smallest value, capped at the largest value recorded.
  // 0 when empty.
  uint64_t Percentile(double q) const;

  static int Index(uint64_t value) {
    if (value < kSub) return static_cast<int>(value);
    int exponent = 63 - __builtin_clzll(value);
    int shift = exponent - kSubBits;
    return ((shift + 1) << kSubBits) +
           static_cast<int>((value >> shift) & (kSub - 1));
  }
  static uint64_t BucketLow(int index);
  static uint64_t BucketWidth(int index);

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t max_ = 0;
};

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_HISTOGRAM_H_
