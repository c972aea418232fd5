// Window arithmetic shared by convolution and pooling: the output length of
// a window sliding over one padded axis, and the "same" padding split, as the
// spec's ValidPadding / SamePadding comments define them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "spec/error.h"

namespace mlconv::exec {

// floor((in + before + after - window) / stride) + 1; throws when the window does not fit.
inline std::int64_t valid_window_count(std::int64_t in, std::int64_t before, std::int64_t after,
                                       std::int64_t window, std::int64_t stride, const char* axis) {
  const std::int64_t padded = in + before + after;
  if (padded < window)
    throw Error(std::string("the ") + axis + " window " + std::to_string(window) + " is larger than the padded input " +
                axis + " " + std::to_string(padded) + " (input " + std::to_string(in) + " + padding " +
                std::to_string(before + after) + ")");
  return (padded - window) / stride + 1;
}

struct SamePadding1D {
  std::int64_t out = 0;
  std::int64_t before = 0;
  std::int64_t after = 0;
};

// out = ceil(in / stride); total = max(0, (out - 1) * stride + window - in), split
// with the smaller half first unless the heavy side is the start (TOP_LEFT_HEAVY).
inline SamePadding1D same_padding(std::int64_t in, std::int64_t window, std::int64_t stride, bool start_heavy) {
  SamePadding1D p;
  p.out = (in + stride - 1) / stride;
  const std::int64_t total = std::max<std::int64_t>(0, (p.out - 1) * stride + window - in);
  const std::int64_t half = total / 2;
  p.before = start_heavy ? total - half : half;
  p.after = total - p.before;
  return p;
}

}  // namespace mlconv::exec
