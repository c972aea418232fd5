// Winograd F(2x2, 3x3) for 3x3, stride-1, undilated 2-D convolution: each
// 2x2 block of outputs costs 16 multiplies per channel pair instead of 36.
// Weights are transformed once at load (U = G g G^T); a task transforms a
// block of input tiles (V = B^T d B), runs 16 GEMMs M_k = U_k V_k and
// transforms back (Y = A^T M A), all in task-local buffers. Lavin & Gray's
// matrices: B^T = [[1,0,-1,0], [0,1,1,0], [0,-1,1,0], [0,1,0,-1]],
// G = [[1,0,0], [.5,.5,.5], [.5,-.5,.5], [0,0,1]], A^T = [[1,1,1,0], [0,1,-1,-1]].
#include <algorithm>
#include <array>

#include <Eigen/Core>

#include "executor/kernels/convolution_engine.h"

namespace mlconv::exec {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;
using MatrixMap = Eigen::Map<RowMatrix>;

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

}  // namespace

bool winograd_applicable(const ConvGeometry& g) {
  const std::int64_t cin_g = g.in_channels / g.groups;
  const std::int64_t cout_g = g.out_channels / g.groups;
  // The transforms cost about as much as a GEMM with few channels; there im2col wins.
  return g.kernel == std::array<std::int64_t, 3>{1, 3, 3} && g.stride == std::array<std::int64_t, 3>{1, 1, 1} &&
         g.dilation == std::array<std::int64_t, 3>{1, 1, 1} && cin_g >= 16 && cout_g >= 16;
}

std::vector<float> winograd_weights(const ConvGeometry& g, const float* weights) {
  const std::int64_t cin_g = g.in_channels / g.groups;
  const std::int64_t cout_g = g.out_channels / g.groups;
  // [group][16][cout_g][cin_g], so each of the 16 products reads one contiguous matrix.
  std::vector<float> u(static_cast<std::size_t>(g.groups * 16 * cout_g * cin_g));
  for (std::int64_t grp = 0; grp < g.groups; ++grp)
    for (std::int64_t o = 0; o < cout_g; ++o)
      for (std::int64_t i = 0; i < cin_g; ++i) {
        const float* k = weights + ((grp * cout_g + o) * cin_g + i) * 9;
        // G = [[1,0,0], [.5,.5,.5], [.5,-.5,.5], [0,0,1]]; t = G k (4x3), then t G^T (4x4).
        float t[4][3];
        for (int c = 0; c < 3; ++c) {
          t[0][c] = k[c];
          t[1][c] = 0.5F * (k[c] + k[3 + c] + k[6 + c]);
          t[2][c] = 0.5F * (k[c] - k[3 + c] + k[6 + c]);
          t[3][c] = k[6 + c];
        }
        for (int r = 0; r < 4; ++r) {
          const float row[4] = {t[r][0], 0.5F * (t[r][0] + t[r][1] + t[r][2]), 0.5F * (t[r][0] - t[r][1] + t[r][2]),
                                t[r][2]};
          for (int c = 0; c < 4; ++c)
            u[static_cast<std::size_t>(((grp * 16 + r * 4 + c) * cout_g + o) * cin_g + i)] = row[c];
        }
      }
  return u;
}

std::vector<float> weights_from_winograd(const ConvGeometry& g, const std::vector<float>& u) {
  const std::int64_t cin_g = g.in_channels / g.groups;
  const std::int64_t cout_g = g.out_channels / g.groups;
  std::vector<float> weights(static_cast<std::size_t>(g.groups * cout_g * cin_g * 9));
  for (std::int64_t grp = 0; grp < g.groups; ++grp)
    for (std::int64_t o = 0; o < cout_g; ++o)
      for (std::int64_t i = 0; i < cin_g; ++i) {
        auto at = [&](int r, int c) { return u[static_cast<std::size_t>(((grp * 16 + r * 4 + c) * cout_g + o) * cin_g + i)]; };
        // Row r of U is (t0, (t0+t1+t2)/2, (t0-t1+t2)/2, t2) for t = row r of G k, so t1 = U[r][1] - U[r][2];
        // the same holds down the columns of t = G k.
        float t[4][3];
        for (int r = 0; r < 4; ++r) t[r][0] = at(r, 0), t[r][1] = at(r, 1) - at(r, 2), t[r][2] = at(r, 3);
        float* k = weights.data() + ((grp * cout_g + o) * cin_g + i) * 9;
        for (int c = 0; c < 3; ++c) {
          k[c] = t[0][c];
          k[3 + c] = t[1][c] - t[2][c];
          k[6 + c] = t[3][c];
        }
      }
  return weights;
}

void convolution_winograd(const ConvGeometry& g, const float* input, const std::vector<float>& transformed,
                          const std::vector<float>& bias, const ActivationFunction* activation, float* output,
                          ThreadPool& pool) {
  using Array = Eigen::Map<Eigen::ArrayXf>;
  const std::int64_t cin_g = g.in_channels / g.groups;
  const std::int64_t cout_g = g.out_channels / g.groups;
  const std::int64_t in_h = g.in[1];
  const std::int64_t in_w = g.in[2];
  const std::int64_t out_h = g.out[1];
  const std::int64_t out_w = g.out[2];
  const std::int64_t tw = ceil_div(out_w, 2);  // tiles per tile row
  const std::int64_t th = ceil_div(out_h, 2);
  const std::int64_t units = g.batch * g.groups;
  // Blocks of whole tile rows, sized to keep V and M near L2 and numerous enough to feed the pool.
  const std::int64_t target = std::clamp<std::int64_t>((std::int64_t{1} << 16) / (cin_g + cout_g), 16, 512);
  std::int64_t rows_per_block = std::max<std::int64_t>(1, target / tw);
  const std::int64_t wanted_tasks = 4 * static_cast<std::int64_t>(pool.size());
  if (units * ceil_div(th, rows_per_block) < wanted_tasks)
    rows_per_block = ceil_div(th, ceil_div(wanted_tasks, units));
  // Below ~32 tiles a task's 16 GEMMs cost more in packing U than they compute.
  rows_per_block = std::max(rows_per_block, ceil_div(32, tw));
  const std::int64_t blocks = ceil_div(th, rows_per_block);
  pool.parallel_for(units * blocks, 1, [&](std::int64_t begin, std::int64_t end) {
    thread_local std::vector<float> v_buffer;
    thread_local std::vector<float> m_buffer;
    thread_local std::vector<float> scratch;
    for (std::int64_t task = begin; task < end; ++task) {
      const std::int64_t unit = task / blocks;
      const std::int64_t n = unit / g.groups;
      const std::int64_t grp = unit % g.groups;
      const std::int64_t ty0 = (task % blocks) * rows_per_block;
      const std::int64_t ty1 = std::min(th, ty0 + rows_per_block);
      const std::int64_t count = (ty1 - ty0) * tw;
      v_buffer.resize(static_cast<std::size_t>(16 * cin_g * count));
      m_buffer.resize(static_cast<std::size_t>(16 * cout_g * count));
      scratch.resize(static_cast<std::size_t>(8 * (tw + 1) + 16 * tw));
      float* v = v_buffer.data();  // [16][cin_g][count]
      float* m = m_buffer.data();  // [16][cout_g][count]
      float* even = scratch.data();        // 4 rows of tw + 1: input columns 2j - pad
      float* odd = even + 4 * (tw + 1);    // 4 rows of tw + 1: input columns 2j + 1 - pad
      float* s = odd + 4 * (tw + 1);       // 16 rows of tw
      auto srow = [&](std::int64_t k) { return Array(s + k * tw, tw); };
      const float* in = input + (n * g.in_channels + grp * cin_g) * in_h * in_w;
      // V = B^T d B for a whole tile row at once: tile tx reads columns 2tx - pad .. 2tx - pad + 3, which
      // are even[tx], odd[tx], even[tx + 1], odd[tx + 1], so every step is a contiguous vector operation.
      for (std::int64_t c = 0; c < cin_g; ++c) {
        const float* plane = in + c * in_h * in_w;
        for (std::int64_t ty = ty0; ty < ty1; ++ty) {
          for (std::int64_t r = 0; r < 4; ++r) {
            const std::int64_t y = ty * 2 - g.pad_before[1] + r;
            float* e = even + r * (tw + 1);
            float* o = odd + r * (tw + 1);
            if (y < 0 || y >= in_h) {
              std::fill(e, e + tw + 1, 0.0F);
              std::fill(o, o + tw + 1, 0.0F);
              continue;
            }
            const float* row = plane + y * in_w;
            for (std::int64_t j = 0; j <= tw; ++j) {
              const std::int64_t x = 2 * j - g.pad_before[2];
              e[j] = x >= 0 && x < in_w ? row[x] : 0.0F;
              o[j] = x + 1 >= 0 && x + 1 < in_w ? row[x + 1] : 0.0F;
            }
          }
          for (std::int64_t r = 0; r < 4; ++r) {  // S = d B, row by row
            const Array e0(even + r * (tw + 1), tw);
            const Array e1(even + r * (tw + 1) + 1, tw);
            const Array o0(odd + r * (tw + 1), tw);
            const Array o1(odd + r * (tw + 1) + 1, tw);
            srow(r * 4 + 0) = e0 - e1;
            srow(r * 4 + 1) = o0 + e1;
            srow(r * 4 + 2) = e1 - o0;
            srow(r * 4 + 3) = o0 - o1;
          }
          const std::int64_t base = (ty - ty0) * tw;
          auto vrow = [&](std::int64_t k) { return Array(v + (k * cin_g + c) * count + base, tw); };
          for (std::int64_t j = 0; j < 4; ++j) {  // V = B^T S
            vrow(0 + j) = srow(0 + j) - srow(8 + j);
            vrow(4 + j) = srow(4 + j) + srow(8 + j);
            vrow(8 + j) = srow(8 + j) - srow(4 + j);
            vrow(12 + j) = srow(4 + j) - srow(12 + j);
          }
        }
      }
      for (int k = 0; k < 16; ++k) {
        const ConstMatrixMap u(transformed.data() + (grp * 16 + k) * cout_g * cin_g, cout_g, cin_g);
        const ConstMatrixMap vk(v + k * cin_g * count, cin_g, count);
        MatrixMap mk(m + k * cout_g * count, cout_g, count);
        mk.noalias() = u * vk;
      }
      // Y = A^T M A, again a tile row at a time; s holds T = A^T M (8 rows) then Y (4 rows).
      float* out = output + (n * g.out_channels + grp * cout_g) * out_h * out_w;
      for (std::int64_t o = 0; o < cout_g; ++o) {
        const float b = bias.empty() ? 0.0F : bias[static_cast<std::size_t>(grp * cout_g + o)];
        float* plane = out + o * out_h * out_w;
        for (std::int64_t ty = ty0; ty < ty1; ++ty) {
          const std::int64_t base = (ty - ty0) * tw;
          auto mrow = [&](std::int64_t k) { return Array(m + (k * cout_g + o) * count + base, tw); };
          for (std::int64_t j = 0; j < 4; ++j) {
            srow(j) = mrow(j) + mrow(4 + j) + mrow(8 + j);
            srow(4 + j) = mrow(4 + j) - mrow(8 + j) - mrow(12 + j);
          }
          for (std::int64_t r = 0; r < 2; ++r) {
            srow(8 + r * 2) = srow(r * 4) + srow(r * 4 + 1) + srow(r * 4 + 2) + b;
            srow(8 + r * 2 + 1) = srow(r * 4 + 1) - srow(r * 4 + 2) - srow(r * 4 + 3) + b;
          }
          for (std::int64_t r = 0; r < 2 && ty * 2 + r < out_h; ++r) {
            float* dst = plane + (ty * 2 + r) * out_w;
            const float* left = s + (8 + r * 2) * tw;
            const float* right = left + tw;
            for (std::int64_t tx = 0; tx < tw; ++tx) {
              dst[2 * tx] = left[tx];
              if (2 * tx + 1 < out_w) dst[2 * tx + 1] = right[tx];
            }
            if (activation != nullptr) activation->apply_in_place(dst, out_w);
          }
        }
      }
    }
  });
}

}  // namespace mlconv::exec
