// YCSB's request distributions over record numbers [0, n).
#ifndef JITSKIT_HARNESS_DISTRIBUTIONS_H_
#define JITSKIT_HARNESS_DISTRIBUTIONS_H_

#include <cstdint>

#include "rng.h"

namespace jitskit::harness {

// Generalised harmonic number sum_{i=1..n} i^-theta. Exact summation up to a
// million terms, Euler-Maclaurin beyond (error far below 1e-9).
double Zeta(uint64_t n, double theta);
// Sum of i^-theta for i in (from, to], added to `partial` (YCSB's
// incremental zeta for a growing item count).
double ZetaRange(uint64_t from, uint64_t to, double theta, double partial);

// YCSB's zeta for 10^10 items at the default constant 0.99, which its
// scrambled zipfian uses whatever the record count.
constexpr uint64_t kYcsbScrambledItems = 10000000000ULL;
constexpr double kYcsbDefaultZipfian = 0.99;

// Zipfian ranks in [0, n) by Gray et al.'s "Quickly generating billion-record
// synthetic databases", the algorithm YCSB uses. Rank 0 is the most popular.
class Zipfian {
 public:
  Zipfian(uint64_t n, double theta);
  Zipfian(uint64_t n, double theta, double zetan);

  uint64_t Next(SplitMix64& rng) const;
  // Draws over [0, n) where n may have grown since the last call; zeta is
  // extended incrementally as YCSB does for the `latest` distribution.
  uint64_t NextGrowing(SplitMix64& rng, uint64_t n);
  uint64_t items() const { return n_; }
  double zetan() const { return zetan_; }

 private:
  void Derive();

  uint64_t n_;
  double theta_;
  double alpha_;
  double zeta2_;
  double zetan_;
  double eta_;
  double half_pow_theta_;
};

// YCSB's ScrambledZipfianGenerator: a zipfian rank hashed with FNV-64 and
// reduced modulo the item count, so popular items are scattered. At the
// default constant the ranks come from a 10^10-item zipfian, as in YCSB.
class ScrambledZipfian {
 public:
  ScrambledZipfian(uint64_t items, double theta, uint64_t salt);
  uint64_t Next(SplitMix64& rng) const {
    return Fnv64(zipfian_.Next(rng) ^ salt_) % items_;
  }

 private:
  uint64_t items_;
  uint64_t salt_;
  Zipfian zipfian_;
};

// YCSB's HotspotIntegerGenerator: `op_fraction` of draws go uniformly to the
// first `data_fraction` of [0, n), the rest uniformly to the remainder.
inline uint64_t HotspotNext(SplitMix64& rng, uint64_t n, double data_fraction,
                            double op_fraction) {
  uint64_t hot = static_cast<uint64_t>(static_cast<double>(n) * data_fraction);
  if (hot == 0) hot = 1;
  if (hot >= n) return rng.Below(n);
  if (rng.NextDouble() < op_fraction) return rng.Below(hot);
  return hot + rng.Below(n - hot);
}

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_DISTRIBUTIONS_H_
