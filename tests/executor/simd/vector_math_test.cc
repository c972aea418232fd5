// The branch-free exp and sigmoid against double-precision libm over the whole float range.
#include "executor/simd/vector_math.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace mlconv::exec::simd {
namespace {

TEST_CASE("vector math: exp is within 2 ulp of e^x wherever the result is a normal float") {
  double worst = 0;
  for (double x = -87.3; x <= 88.7; x += 0.000731) {
    const auto xf = static_cast<float>(x);
    const double exact = std::exp(static_cast<double>(xf));
    const double ulp = std::ldexp(1.0, std::ilogb(exact) - 23);
    worst = std::max(worst, std::fabs(static_cast<double>(vector_exp(xf)) - exact) / ulp);
  }
  CHECK(worst <= 2.0);
}

TEST_CASE("vector math: exp at the edges: overflow, denormals, zero, infinities, NaN") {
  constexpr float inf = std::numeric_limits<float>::infinity();
  CHECK(vector_exp(0.0F) == 1.0F);
  CHECK(vector_exp(88.8F) == inf);
  CHECK(vector_exp(1000.0F) == inf);
  CHECK(vector_exp(inf) == inf);
  CHECK(vector_exp(-inf) == 0.0F);
  CHECK(vector_exp(-1000.0F) == 0.0F);
  CHECK(vector_exp(-104.0F) == 0.0F);
  // e^-100 = 3.72e-44, a denormal: within one denormal step (1.4e-45).
  CHECK(std::fabs(vector_exp(-100.0F) - static_cast<float>(std::exp(-100.0))) <= 1.5e-45F);
  CHECK(std::isnan(vector_exp(std::numeric_limits<float>::quiet_NaN())));
}

TEST_CASE("vector math: sigmoid is 1 / (1 + e^-x), exactly 0 and 1 far out") {
  for (double x = -20; x <= 20; x += 0.01) {
    const auto xf = static_cast<float>(x);
    const double exact = 1.0 / (1.0 + std::exp(-static_cast<double>(xf)));
    CHECK(std::fabs(vector_sigmoid(xf) - exact) <= 2e-7 * exact);
  }
  CHECK(vector_sigmoid(-200.0F) == 0.0F);
  CHECK(vector_sigmoid(200.0F) == 1.0F);
  CHECK(std::isnan(vector_sigmoid(std::numeric_limits<float>::quiet_NaN())));
}

}  // namespace
}  // namespace mlconv::exec::simd
