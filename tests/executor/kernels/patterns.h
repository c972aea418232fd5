// Deterministic test data for the spatial and dense kernel tests. The same
// formulas are evaluated in NumPy to get the expected values:
//   pattern(n, a, c, m, off, d)[i] = ((i * a + c) % m - off) / d
// Every value is a small dyadic fraction, so float inputs are exact.
#pragma once

#include <cstdint>
#include <vector>

#include <doctest/doctest.h>

#include "executor/tensor.h"

namespace mlconv::exec::testing {

inline std::vector<float> pattern(std::int64_t n, std::int64_t a = 37, std::int64_t c = 0, std::int64_t m = 23,
                                  std::int64_t off = 11, float d = 8.0F) {
  std::vector<float> values(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) values[static_cast<std::size_t>(i)] = static_cast<float>((i * a + c) % m - off) / d;
  return values;
}
// NumPy: pat(n, 53, 3, 19, 9, 16.0)
inline std::vector<float> weight_pattern(std::int64_t n) { return pattern(n, 53, 3, 19, 9, 16.0F); }
// NumPy: pat(n, 29, 1, 7, 3, 4.0)
inline std::vector<float> bias_pattern(std::int64_t n) { return pattern(n, 29, 1, 7, 3, 4.0F); }

// Values in [-1, 1) from a fixed linear congruential sequence, for tests whose expectations
// are computed in the test itself (in double) rather than listed from NumPy.
inline std::vector<float> lcg_values(std::int64_t n, std::uint32_t seed) {
  std::vector<float> v(static_cast<std::size_t>(n));
  std::uint32_t state = seed;
  for (float& x : v) {
    state = state * 1664525U + 1013904223U;
    x = static_cast<float>(state >> 8) / static_cast<float>(1U << 23) - 1.0F;
  }
  return v;
}

inline Tensor pattern_tensor(Shape shape) {
  const std::int64_t n = element_count(shape);
  return Tensor(std::move(shape), pattern(n));
}

// For outputs too large to list: NumPy's y.sum() and (y * (arange(size) % 7 + 1)).sum().
inline void check_summary(const Tensor& y, const Shape& shape, double sum, double weighted, double tolerance = 1e-3) {
  REQUIRE(y.shape() == shape);
  double s = 0;
  double w = 0;
  for (std::int64_t i = 0; i < y.size(); ++i) {
    s += y.data()[i];
    w += y.data()[i] * static_cast<double>(i % 7 + 1);
  }
  CHECK(s == doctest::Approx(sum).epsilon(tolerance));
  CHECK(w == doctest::Approx(weighted).epsilon(tolerance));
}

}  // namespace mlconv::exec::testing
