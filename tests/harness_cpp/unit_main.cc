#include <cstdio>
#include <vector>

#include "unit.h"

namespace unit {
namespace {

struct Registered {
  const char* name;
  TestFunction function;
};

std::vector<Registered>& Registry() {
  static std::vector<Registered> tests;
  return tests;
}

const char* current_test = "";
int current_failures = 0;

}  // namespace

TestCase::TestCase(const char* name, TestFunction function) {
  Registry().push_back({name, function});
}

bool Expect(bool condition, const std::string& what, const char* file,
            int line) {
  if (!condition) {
    ++current_failures;
    std::printf("FAIL %s: %s (%s:%d)\n", current_test, what.c_str(), file, line);
  }
  return condition;
}

bool ExpectNear(double actual, double expected, double tolerance,
                const std::string& what, const char* file, int line) {
  double difference = actual - expected;
  if (difference < 0) difference = -difference;
  if (difference <= tolerance) return true;
  char numbers[160];
  std::snprintf(numbers, sizeof(numbers),
                " (got %.9g, expected %.9g +- %.3g)", actual, expected,
                tolerance);
  return Expect(false, what + numbers, file, line);
}

}  // namespace unit

int main() {
  int passed = 0;
  int failed = 0;
  for (const unit::Registered& test : unit::Registry()) {
    unit::current_test = test.name;
    unit::current_failures = 0;
    test.function();
    if (unit::current_failures == 0) {
      ++passed;
      std::printf("ok   %s\n", test.name);
    } else {
      ++failed;
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
