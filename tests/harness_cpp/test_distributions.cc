// Request distributions: shapes against theory.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "distributions.h"
#include "rng.h"
#include "unit.h"

namespace {

using namespace jitskit::harness;

double ExactZeta(uint64_t n, double theta) {
  double sum = 0;
  for (uint64_t i = 1; i <= n; ++i) sum += std::pow(static_cast<double>(i), -theta);
  return sum;
}

void ZetaMatchesExactSum() {
  for (double theta : {0.5, 0.99}) {
    for (uint64_t n : {1ULL, 2ULL, 1000ULL, 2500000ULL}) {
      double exact = ExactZeta(n, theta);
      unit::ExpectNear(Zeta(n, theta), exact, exact * 1e-10,
                       "zeta(" + std::to_string(n) + ", " + std::to_string(theta) + ")");
    }
  }
  unit::ExpectNear(ZetaRange(2000000, 2000100, 0.99, 0),
                   ExactZeta(2000100, 0.99) - ExactZeta(2000000, 0.99), 1e-9,
                   "incremental zeta beyond the exact range");
}

void ZetaOfYcsbScrambledDomainIsYcsbConstant() {
  // YCSB's ScrambledZipfianGenerator.ZETAN for 10^10 items at 0.99.
  unit::ExpectNear(Zeta(kYcsbScrambledItems, 0.99), 26.46902820178302, 1e-6,
                   "zeta(10^10, 0.99)");
}

void ZipfianRankFrequenciesFollowTheory() {
  const uint64_t n = 1000;
  const double theta = 0.99;
  Zipfian zipfian(n, theta);
  SplitMix64 rng(11);
  std::vector<uint64_t> counts(n, 0);
  const int draws = 2000000;
  for (int i = 0; i < draws; ++i) ++counts[zipfian.Next(rng)];
  double zetan = ExactZeta(n, theta);
  // Ranks 0 and 1 are exact in Gray's algorithm; later ranks approximate.
  for (uint64_t rank : {0ULL, 1ULL}) {
    double expected = std::pow(rank + 1.0, -theta) / zetan;
    unit::ExpectNear(counts[rank] / static_cast<double>(draws), expected,
                     expected * 0.02, "share of rank " + std::to_string(rank));
  }
  double top10 = 0;
  double theory10 = 0;
  for (uint64_t r = 0; r < n / 10; ++r) {
    top10 += counts[r];
    theory10 += std::pow(r + 1.0, -theta) / zetan;
  }
  unit::ExpectNear(top10 / draws, theory10, 0.02, "share of the top 10% ranks");
  unit::Expect(counts[0] > counts[1] && counts[1] > counts[5] &&
                   counts[5] > counts[100],
               "popularity falls with rank");
}

void ScrambledZipfianScattersHotItems() {
  const uint64_t n = 100000;
  ScrambledZipfian scrambled(n, 0.99, 12345);
  SplitMix64 rng(3);
  std::map<uint64_t, uint64_t> counts;
  const int draws = 1000000;
  for (int i = 0; i < draws; ++i) ++counts[scrambled.Next(rng)];
  std::vector<std::pair<uint64_t, uint64_t>> by_count;
  for (const auto& entry : counts) by_count.emplace_back(entry.second, entry.first);
  std::sort(by_count.rbegin(), by_count.rend());
  // The hottest item gets rank 0's share of a 10^10-item zipfian.
  double expected = 1.0 / 26.46902820178302;
  unit::ExpectNear(by_count[0].first / static_cast<double>(draws), expected,
                   expected * 0.05, "share of the hottest item");
  uint64_t low_items = 0;
  for (int i = 0; i < 10; ++i) low_items += by_count[i].second < n / 10 ? 1 : 0;
  unit::Expect(low_items <= 4, "the 10 hottest items are spread, not the first ones");
  ScrambledZipfian other_salt(n, 0.99, 999);
  SplitMix64 rng2(3);
  std::map<uint64_t, uint64_t> other;
  for (int i = 0; i < 200000; ++i) ++other[other_salt.Next(rng2)];
  uint64_t hottest_other = 0;
  uint64_t best = 0;
  for (const auto& entry : other) {
    if (entry.second > best) {
      best = entry.second;
      hottest_other = entry.first;
    }
  }
  unit::Expect(hottest_other != by_count[0].second,
               "a different salt (seed) moves the hottest item");
}

void ZipfianGrowingMatchesFreshZipfian() {
  Zipfian growing(1000, 0.99);
  SplitMix64 rng(5);
  growing.NextGrowing(rng, 5000);
  Zipfian fresh(5000, 0.99);
  unit::ExpectNear(growing.zetan(), fresh.zetan(), 1e-9,
                   "zeta extended incrementally equals zeta computed afresh");
}

void HotspotSendsOpFractionToHotSet() {
  SplitMix64 rng(9);
  const uint64_t n = 10000;
  uint64_t hot = 0;
  uint64_t low_half_of_hot = 0;
  const int draws = 1000000;
  for (int i = 0; i < draws; ++i) {
    uint64_t v = HotspotNext(rng, n, 0.2, 0.8);
    if (v < 2000) {
      ++hot;
      if (v < 1000) ++low_half_of_hot;
    }
    if (v >= n) unit::Expect(false, "hotspot draw out of range");
  }
  unit::ExpectNear(hot / static_cast<double>(draws), 0.8, 0.005,
                   "share of operations on the hot 20%");
  unit::ExpectNear(low_half_of_hot / static_cast<double>(hot), 0.5, 0.01,
                   "uniform within the hot set");
}

void UniformBelowIsUniform() {
  SplitMix64 rng(2);
  std::vector<uint64_t> counts(10, 0);
  for (int i = 0; i < 1000000; ++i) ++counts[rng.Below(10)];
  for (uint64_t count : counts) {
    unit::ExpectNear(count / 1e6, 0.1, 0.003, "each tenth gets a tenth");
  }
}

const unit::TestCase kTests[] = {
    {"distributions: zeta matches the exact sum", ZetaMatchesExactSum},
    {"distributions: YCSB's zeta constant", ZetaOfYcsbScrambledDomainIsYcsbConstant},
    {"distributions: zipfian follows theory", ZipfianRankFrequenciesFollowTheory},
    {"distributions: scrambled zipfian scatters hot items", ScrambledZipfianScattersHotItems},
    {"distributions: incremental zeta", ZipfianGrowingMatchesFreshZipfian},
    {"distributions: hotspot", HotspotSendsOpFractionToHotSet},
    {"distributions: uniform", UniformBelowIsUniform},
};

}  // namespace
