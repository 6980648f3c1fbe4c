#include "histogram.h"

#include <cmath>

namespace jitskit::harness {

uint64_t Histogram::BucketLow(int index) {
  if (index < kSub) return static_cast<uint64_t>(index);
  int shift = (index >> kSubBits) - 1;
  uint64_t mantissa = static_cast<uint64_t>(kSub + (index & (kSub - 1)));
  return mantissa << shift;
}

uint64_t Histogram::BucketWidth(int index) {
  if (index < kSub) return 1;
  return uint64_t{1} << ((index >> kSubBits) - 1);
}

void Histogram::Merge(const Histogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  if (other.max_ > max_) max_ = other.max_;
}

uint64_t Histogram::total() const {
  uint64_t sum = 0;
  for (uint64_t count : counts_) sum += count;
  return sum;
}

uint64_t Histogram::Percentile(double q) const {
  uint64_t total = this->total();
  if (total == 0) return 0;
  if (q < 0) q = 0;
  if (q > 1) q = 1;
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total)));
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      uint64_t width = BucketWidth(i);
      uint64_t value = BucketLow(i) + (width - 1) / 2;
      return value < max_ ? value : max_;
    }
  }
  return max_;
}

}  // namespace jitskit::harness
