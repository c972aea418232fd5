// Elementwise math written so that GCC vectorizes loops calling it (no
// branches, no library calls): exp and the sigmoid built on it. The executor
// is compiled with -O3 (and AVX2/FMA when the build machine has it), where a
// loop over `vector_exp` becomes 8-wide packed code; std::exp stays a scalar
// libm call per element without -ffast-math.
#pragma once

#include <bit>
#include <cstdint>

namespace mlconv::exec::simd {

// e^x within 1 ulp (the test sweeps the range): x = n ln2 + r with |r| <= ln2/2,
// e^r by Cephes' degree-6 minimax polynomial, 2^n built in the exponent bits.
// Overflows to +inf above ~88.72, underflows through denormals to 0 below ~-103.9,
// keeps NaN. 2^n is applied as two factors so n = 128 and n = -150 need no branch.
inline float vector_exp(float x) {
  constexpr float kHigh = 89.0F;   // e^89 > FLT_MAX: the product below overflows to inf
  constexpr float kLow = -104.0F;  // e^-104 < the smallest denormal: the product is 0
  constexpr float kLog2e = 1.44269504088896341F;
  constexpr float kLn2High = 0.693359375F;  // ln 2 split so n * kLn2High is exact
  constexpr float kLn2Low = -2.12194440e-4F;
  constexpr float kRound = 12582912.0F;  // 1.5 * 2^23: adding it rounds to an integer in the low mantissa bits
  x = x > kHigh ? kHigh : x;             // written as selects so NaN passes through
  x = x < kLow ? kLow : x;
  const float shifted = x * kLog2e + kRound;
  const float n = shifted - kRound;
  const std::int32_t whole = std::bit_cast<std::int32_t>(shifted) - std::bit_cast<std::int32_t>(kRound);
  const float r = (x - n * kLn2High) - n * kLn2Low;
  float p = 1.9875691500e-4F;
  p = p * r + 1.3981999507e-3F;
  p = p * r + 8.3334519073e-3F;
  p = p * r + 4.1665795894e-2F;
  p = p * r + 1.6666665459e-1F;
  p = p * r + 5.0000001201e-1F;
  p = p * r * r + r + 1.0F;
  const std::int32_t half = whole >> 1;  // both factors stay within the normal range
  const float scale_a = std::bit_cast<float>((half + 127) << 23);
  const float scale_b = std::bit_cast<float>((whole - half + 127) << 23);
  return p * scale_a * scale_b;
}

// 1 / (1 + e^-x): exactly 0 where e^-x overflows, 1 where it underflows.
inline float vector_sigmoid(float x) { return 1.0F / (1.0F + vector_exp(-x)); }

}  // namespace mlconv::exec::simd
