// The Winograd engine (convolution_winograd.cc) against a direct-loop convolution
// written here, on shapes that reach the edges of its tiling: odd output sizes,
// asymmetric padding, channel counts that divide nothing, several tile-row
// blocks with a short last one, groups and batches, 1 and 2 threads. The
// tolerance scales with sum |w| |x| per output, i.e. float rounding only.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "executor/kernels/activation_function.h"
#include "executor/kernels/convolution_engine.h"
#include "executor/parallel.h"
#include "tests/executor/kernels/patterns.h"

namespace mlconv::exec {
namespace {

struct Shape2d {
  std::int64_t batch, groups, cin, cout, in_h, in_w, pad_top, pad_bottom, pad_left, pad_right;
};

ConvGeometry geometry(const Shape2d& s) {
  ConvGeometry g;
  g.batch = s.batch;
  g.groups = s.groups;
  g.in_channels = s.cin;
  g.out_channels = s.cout;
  g.in = {1, s.in_h, s.in_w};
  g.out = {1, s.in_h + s.pad_top + s.pad_bottom - 2, s.in_w + s.pad_left + s.pad_right - 2};
  g.kernel = {1, 3, 3};
  g.pad_before = {0, s.pad_top, s.pad_left};
  return g;
}

// out[n][o][y][x] = bias[o] + sum over the group's inputs i and taps of w[o][i][ky][kx] * in[n][i][y+ky-pt][x+kx-pl],
// in double; `scale` gets sum |b| + |w| |x| per output, the size of float rounding's error.
void direct(const ConvGeometry& g, const std::vector<float>& in, const std::vector<float>& w, const std::vector<float>& b,
            std::vector<double>& out, std::vector<double>& scale) {
  const std::int64_t cin_g = g.in_channels / g.groups;
  const std::int64_t cout_g = g.out_channels / g.groups;
  const std::int64_t in_h = g.in[1], in_w = g.in[2], out_h = g.out[1], out_w = g.out[2];
  out.assign(static_cast<std::size_t>(g.batch * g.out_channels * out_h * out_w), 0.0);
  scale = out;
  for (std::int64_t n = 0; n < g.batch; ++n)
    for (std::int64_t o = 0; o < g.out_channels; ++o) {
      const std::int64_t grp = o / cout_g;
      for (std::int64_t y = 0; y < out_h; ++y)
        for (std::int64_t x = 0; x < out_w; ++x) {
          double sum = b[static_cast<std::size_t>(o)];
          double mag = std::abs(sum);
          for (std::int64_t i = 0; i < cin_g; ++i)
            for (std::int64_t ky = 0; ky < 3; ++ky)
              for (std::int64_t kx = 0; kx < 3; ++kx) {
                const std::int64_t iy = y + ky - g.pad_before[1];
                const std::int64_t ix = x + kx - g.pad_before[2];
                if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) continue;
                const double wv = w[static_cast<std::size_t>(((o * cin_g + i) * 3 + ky) * 3 + kx)];
                const double xv = in[static_cast<std::size_t>(((n * g.in_channels + grp * cin_g + i) * in_h + iy) * in_w + ix)];
                sum += wv * xv;
                mag += std::abs(wv * xv);
              }
          const auto at = static_cast<std::size_t>(((n * g.out_channels + o) * out_h + y) * out_w + x);
          out[at] = sum;
          scale[at] = mag;
        }
    }
}

// y = 2x + 0.5: applied twice or not at all, every output shows it.
ActivationFunction linear() {
  Layer layer;
  layer.mutable_activation()->mutable_linear()->set_alpha(2.0F);
  layer.mutable_activation()->mutable_linear()->set_beta(0.5F);
  return *ActivationFunction::of(layer);
}

void check_winograd(const Shape2d& s, int threads, bool with_activation = false) {
  const ConvGeometry g = geometry(s);
  CAPTURE(s.batch);
  CAPTURE(s.groups);
  CAPTURE(s.cin);
  CAPTURE(s.cout);
  CAPTURE(s.in_h);
  CAPTURE(s.in_w);
  CAPTURE(threads);
  CAPTURE(with_activation);
  REQUIRE(winograd_applicable(g));
  const std::vector<float> in = testing::lcg_values(g.batch * g.in_channels * g.in_size(), 1);
  const std::vector<float> w = testing::lcg_values(g.out_channels * (g.in_channels / g.groups) * 9, 2);
  const std::vector<float> b = testing::lcg_values(g.out_channels, 3);
  std::vector<double> expected;
  std::vector<double> scale;
  direct(g, in, w, b, expected, scale);
  const ActivationFunction activation = linear();
  if (with_activation) {
    for (double& value : expected) value = 2.0 * value + 0.5;
    for (double& value : scale) value *= 2.0;
  }
  ThreadPool pool(threads);
  std::vector<float> out(expected.size(), std::nanf(""));
  convolution_winograd(g, in.data(), winograd_weights(g, w.data()), b, with_activation ? &activation : nullptr,
                       out.data(), pool);
  std::size_t bad = 0;
  for (std::size_t i = 0; i < out.size(); ++i)
    if (!(std::abs(out[i] - expected[i]) <= 1e-5 * scale[i] + 1e-6) && bad++ < 5)
      FAIL_CHECK("output " << i << " is " << out[i] << "; expected " << expected[i]);
  CHECK(bad == 0);
}

TEST_CASE("winograd: matches a direct convolution at odd sizes, asymmetric padding, several blocks, groups") {
  const std::vector<Shape2d> shapes = {
      // 37x41 output: odd both ways; 17 -> 19 channels; 19 tile rows in blocks of 5 with a short last one.
      {2, 1, 17, 19, 37, 41, 1, 1, 1, 1},
      // groups of 16 -> 18, padding top 2 bottom 0 left 0 right 1: output 30x32, the last input rows unread.
      {1, 2, 32, 36, 30, 33, 2, 0, 0, 1},
      // No padding: even output 22x14, 40 -> 24 channels.
      {1, 1, 40, 24, 24, 16, 0, 0, 0, 0},
      // Padding wider than a tile on the left (2) and none on the right: columns start outside the input.
      {1, 1, 16, 16, 13, 20, 0, 2, 2, 0},
  };
  for (const Shape2d& s : shapes)
    for (int threads : {1, 2}) check_winograd(s, threads);
}

TEST_CASE("winograd: a fused activation is applied once to every output, odd edges included") {
  check_winograd({2, 1, 17, 19, 37, 41, 1, 1, 1, 1}, 2, true);
  check_winograd({1, 1, 16, 16, 13, 20, 0, 2, 2, 0}, 1, true);
}

TEST_CASE("winograd: the kept weight components give back the plain weights") {
  for (const Shape2d& s : {Shape2d{1, 1, 16, 20, 8, 8, 1, 1, 1, 1}, Shape2d{1, 3, 48, 51, 8, 8, 1, 1, 1, 1}}) {
    const ConvGeometry g = geometry(s);
    const std::vector<float> w = testing::lcg_values(g.out_channels * (g.in_channels / g.groups) * 9, 4);
    const std::vector<PackedMatrix> kept = winograd_weights(g, w.data());
    std::int64_t kept_values = 0;
    for (const PackedMatrix& component : kept) kept_values += component.rows() * component.depth();
    CHECK(kept_values == static_cast<std::int64_t>(w.size()));  // as many values as the plain weights
    const std::vector<float> back = weights_from_winograd(g, kept);
    REQUIRE(back.size() == w.size());
    for (std::size_t i = 0; i < w.size(); ++i) REQUIRE(std::abs(back[i] - w[i]) <= 1e-6F);
  }
}

}  // namespace
}  // namespace mlconv::exec
