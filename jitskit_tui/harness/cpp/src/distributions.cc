#include "distributions.h"

#include <cmath>

namespace jitskit::harness {
namespace {

constexpr uint64_t kExactTerms = 1000000;

// Euler-Maclaurin tail: sum of i^-theta for i in (m, n], m large.
double ZetaTail(uint64_t m, uint64_t n, double theta) {
  auto f = [theta](double x) { return std::pow(x, -theta); };
  auto df = [theta](double x) { return -theta * std::pow(x, -theta - 1); };
  auto d3f = [theta](double x) {
    return -theta * (theta + 1) * (theta + 2) * std::pow(x, -theta - 3);
  };
  double a = static_cast<double>(m);
  double b = static_cast<double>(n);
  double integral =
      (std::pow(b, 1 - theta) - std::pow(a, 1 - theta)) / (1 - theta);
  // sum_{i=a+1..b} f(i) = integral + (f(b) - f(a))/2 + (f'(b) - f'(a))/12
  //                       - (f'''(b) - f'''(a))/720 + ...
  return integral + (f(b) - f(a)) / 2 + (df(b) - df(a)) / 12 -
         (d3f(b) - d3f(a)) / 720;
}

}  // namespace

double ZetaRange(uint64_t from, uint64_t to, double theta, double partial) {
  double sum = partial;
  uint64_t exact_end = to < kExactTerms ? to : kExactTerms;
  if (exact_end < from) exact_end = from;
  for (uint64_t i = from + 1; i <= exact_end; ++i) {
    sum += std::pow(static_cast<double>(i), -theta);
  }
  if (to > exact_end) sum += ZetaTail(exact_end, to, theta);
  return sum;
}

double Zeta(uint64_t n, double theta) { return ZetaRange(0, n, theta, 0.0); }

Zipfian::Zipfian(uint64_t n, double theta)
    : Zipfian(n, theta, Zeta(n, theta)) {}

Zipfian::Zipfian(uint64_t n, double theta, double zetan)
    : n_(n < 1 ? 1 : n), theta_(theta), zetan_(zetan) {
  alpha_ = 1.0 / (1.0 - theta_);
  zeta2_ = Zeta(2, theta_);
  half_pow_theta_ = std::pow(0.5, theta_);
  Derive();
}

void Zipfian::Derive() {
  eta_ = n_ < 2 ? 0.0
                : (1.0 - std::pow(2.0 / static_cast<double>(n_), 1.0 - theta_)) /
                      (1.0 - zeta2_ / zetan_);
}

uint64_t Zipfian::Next(SplitMix64& rng) const {
  double u = rng.NextDouble();
  double uz = u * zetan_;
  if (uz < 1.0 || n_ < 2) return 0;
  if (uz < 1.0 + half_pow_theta_) return 1;
  auto rank = static_cast<uint64_t>(static_cast<double>(n_) *
                                    std::pow(eta_ * u - eta_ + 1.0, alpha_));
  return rank < n_ ? rank : n_ - 1;
}

uint64_t Zipfian::NextGrowing(SplitMix64& rng, uint64_t n) {
  if (n != n_ && n > 0) {
    zetan_ = n > n_ ? ZetaRange(n_, n, theta_, zetan_) : Zeta(n, theta_);
    n_ = n;
    Derive();
  }
  return Next(rng);
}

namespace {
Zipfian MakeScrambledRanks(uint64_t items, double theta) {
  if (theta == kYcsbDefaultZipfian) {
    static const double kZetan = Zeta(kYcsbScrambledItems, kYcsbDefaultZipfian);
    return Zipfian(kYcsbScrambledItems, theta, kZetan);
  }
  return Zipfian(items, theta);
}
}  // namespace

ScrambledZipfian::ScrambledZipfian(uint64_t items, double theta, uint64_t salt)
    : items_(items < 1 ? 1 : items),
      salt_(salt),
      zipfian_(MakeScrambledRanks(items_, theta)) {}

}  // namespace jitskit::harness
