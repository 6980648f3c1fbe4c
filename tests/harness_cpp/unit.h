// A tiny test runner for the harness's C++ unit tests: register a function
// with a TestCase, check conditions with Expect/ExpectNear; the runner prints
// one line per failure and ends with exactly "N passed, N failed".
#ifndef JITSKIT_TESTS_UNIT_H_
#define JITSKIT_TESTS_UNIT_H_

#include <string>

namespace unit {

using TestFunction = void (*)();

// Registers `function` under `name` at static-initialisation time.
struct TestCase {
  TestCase(const char* name, TestFunction function);
};

// Records a failure of the running test when `condition` is false.
bool Expect(bool condition, const std::string& what,
            const char* file = __builtin_FILE(), int line = __builtin_LINE());
// |actual - expected| <= tolerance.
bool ExpectNear(double actual, double expected, double tolerance,
                const std::string& what, const char* file = __builtin_FILE(),
                int line = __builtin_LINE());

}  // namespace unit

#endif  // JITSKIT_TESTS_UNIT_H_
