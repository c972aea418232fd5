// Winograd F(2x2, 3x3) for 3x3, stride-1, undilated 2-D convolution: each
// 2x2 block of outputs costs 16 multiplies per channel pair instead of 36.
// Lavin & Gray's matrices: B^T = [[1,0,-1,0], [0,1,1,0], [0,-1,1,0], [0,1,0,-1]],
// G = [[1,0,0], [.5,.5,.5], [.5,-.5,.5], [0,0,1]], A^T = [[1,1,1,0], [0,1,-1,-1]].
//
// Memory is the constraint that shapes this file (docs/performance.md, session 8):
// - The kernel keeps 9 of the 16 weight components U = G w G^T, as many values as
//   the plain weights, each packed once for the GEMM (packed_gemm.h). G's rows
//   satisfy g3 = g1 + g2 - g0, so the other 7 (row or column 3) are sums of three
//   kept ones, formed per task just before their GEMM; packing only moves values,
//   so the sums are taken on the packed values.
// - A task walks the 4 rows r of the 4x4 transform domain one at a time: it forms
//   V[r][0..3] = (B^T d B)[r][.] for its tiles, runs the 4 GEMMs M = U V, reduces
//   them to the two columns of M[r] A, and adds those straight into the output with
//   weight A^T[p][r], since Y = A^T M A is linear in M. Its buffers hold 4 of V's 16
//   components and 3 planes of M's, and no Y: every thread holds one such buffer,
//   and at 2 threads they decided whether the ResNet bench's peak RSS stayed in its
//   limit (docs/performance.md, session 10).
// - Buffers live for one parallel_for chunk, not per thread for the process, so a
//   layer's scratch is freed for the next layer's instead of every layer kind
//   keeping its largest.
#include <algorithm>
#include <array>
#include <memory>

#include <Eigen/Core>

#include "executor/kernels/convolution_engine.h"

namespace mlconv::exec {

namespace {

using Array = Eigen::Map<Eigen::ArrayXf>;
using ConstArray = Eigen::Map<const Eigen::ArrayXf>;

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// A task's V and M planes; sized so one task's working set stays near L2 and per-thread
// scratch at a few hundred KiB at most.
constexpr std::int64_t kTaskBytes = std::int64_t{96} << 10;

// Kept component (r, c), r and c in 0..2, of group grp: a [cout_g][cin_g] matrix.
const PackedMatrix& kept_component(const std::vector<PackedMatrix>& kept, std::int64_t grp, int r, int c) {
  return kept[static_cast<std::size_t>(grp * 9 + r * 3 + c)];
}

// Component (r, c) of U for one group: one of the kept set, or the sum formed in `scratch`.
const PackedMatrix& component(const std::vector<PackedMatrix>& kept, std::int64_t grp, int r, int c,
                              PackedMatrix& scratch) {
  if (r < 3 && c < 3) return kept_component(kept, grp, r, c);
  const std::int64_t matrix = scratch.rows() * scratch.depth();
  auto at = [&](int rr, int cc) { return ConstArray(kept_component(kept, grp, rr, cc).values(), matrix); };
  Array out(scratch.values(), matrix);
  if (r < 3) {
    out = at(r, 1) + at(r, 2) - at(r, 0);
  } else if (c < 3) {
    out = at(1, c) + at(2, c) - at(0, c);
  } else {  // U(3,3) = U(3,1) + U(3,2) - U(3,0), each of those a column sum
    out = (at(1, 1) + at(2, 1) - at(0, 1)) + (at(1, 2) + at(2, 2) - at(0, 2)) - (at(1, 0) + at(2, 0) - at(0, 0));
  }
  return scratch;
}

// e[j] = a[2j - pad] + s * b[2j - pad] and o[j] likewise one column right, for j in [0, n], zero outside the row.
void split_columns(const float* a, const float* b, float s, std::int64_t width, std::int64_t pad, std::int64_t n,
                   float* e, float* o) {
  auto at = [&](std::int64_t x) { return x >= 0 && x < width ? a[x] + s * b[x] : 0.0F; };
  // Interior: both 2j - pad and 2j - pad + 1 inside the row.
  const std::int64_t lo = std::min(n + 1, (pad + 1) / 2);
  const std::int64_t hi = std::clamp<std::int64_t>(width - 2 + pad < 0 ? 0 : (width - 2 + pad) / 2 + 1, lo, n + 1);
  for (std::int64_t j = 0; j < lo; ++j) e[j] = at(2 * j - pad), o[j] = at(2 * j - pad + 1);
  const float* a0 = a - pad;
  const float* b0 = b - pad;
  for (std::int64_t j = lo; j < hi; ++j) {
    e[j] = a0[2 * j] + s * b0[2 * j];
    o[j] = a0[2 * j + 1] + s * b0[2 * j + 1];
  }
  for (std::int64_t j = hi; j <= n; ++j) e[j] = at(2 * j - pad), o[j] = at(2 * j - pad + 1);
}


// Adds row r of M A (phase q = 0 in row0, q = 1 in row1, [cout_g][tiles]) into the output
// pixels (2 ty + p, 2 tx + q) with A^T's weight for (p, r): p = 0 takes rows 0..2 with
// weights 1, 1, 1; p = 1 rows 1..3 with 1, -1, -1. A phase's first row sets it, plus the
// bias; after its last the pixels are final and get the activation.
void fold_into_output(int r, const float* row0, const float* row1, std::int64_t count, std::int64_t ty0,
                      std::int64_t ty1, std::int64_t tw, std::int64_t cout_g, std::int64_t out_h, std::int64_t out_w,
                      std::int64_t grp, const std::vector<float>& bias, const ActivationFunction* activation,
                      float* out) {
  enum class Op { set, add, subtract };
  struct Use { int p; Op op; bool last; };
  static constexpr Use uses[4][2] = {{{0, Op::set, false}, {-1, Op::set, false}},
                                     {{0, Op::add, false}, {1, Op::set, false}},
                                     {{0, Op::add, true}, {1, Op::subtract, false}},
                                     {{1, Op::subtract, true}, {-1, Op::set, false}}};
  const std::int64_t pairs = out_w / 2;
  for (const Use& use : uses[r]) {
    if (use.p < 0) continue;
    for (std::int64_t o = 0; o < cout_g; ++o) {
      const float b = bias.empty() ? 0.0F : bias[static_cast<std::size_t>(grp * cout_g + o)];
      for (std::int64_t ty = ty0; ty < ty1 && ty * 2 + use.p < out_h; ++ty) {
        float* dst = out + (o * out_h + ty * 2 + use.p) * out_w;
        const std::int64_t at = o * count + (ty - ty0) * tw;
        const float* left = row0 + at;
        const float* right = row1 + at;
        switch (use.op) {
          case Op::set:
            for (std::int64_t tx = 0; tx < pairs; ++tx) dst[2 * tx] = left[tx] + b, dst[2 * tx + 1] = right[tx] + b;
            if (out_w % 2 != 0) dst[out_w - 1] = left[pairs] + b;
            break;
          case Op::add:
            for (std::int64_t tx = 0; tx < pairs; ++tx) dst[2 * tx] += left[tx], dst[2 * tx + 1] += right[tx];
            if (out_w % 2 != 0) dst[out_w - 1] += left[pairs];
            break;
          case Op::subtract:
            for (std::int64_t tx = 0; tx < pairs; ++tx) dst[2 * tx] -= left[tx], dst[2 * tx + 1] -= right[tx];
            if (out_w % 2 != 0) dst[out_w - 1] -= left[pairs];
            break;
        }
        if (use.last && activation != nullptr) activation->apply_in_place(dst, out_w);
      }
    }
  }
}

}  // namespace

bool winograd_applicable(const ConvGeometry& g) {
  const std::int64_t cin_g = g.in_channels / g.groups;
  const std::int64_t cout_g = g.out_channels / g.groups;
  // The transforms cost about as much as a GEMM with few channels; there im2col wins.
  return g.kernel == std::array<std::int64_t, 3>{1, 3, 3} && g.stride == std::array<std::int64_t, 3>{1, 1, 1} &&
         g.dilation == std::array<std::int64_t, 3>{1, 1, 1} && cin_g >= 16 && cout_g >= 16;
}

std::vector<PackedMatrix> winograd_weights(const ConvGeometry& g, const float* weights) {
  const std::int64_t cin_g = g.in_channels / g.groups;
  const std::int64_t cout_g = g.out_channels / g.groups;
  const std::int64_t matrix = cout_g * cin_g;
  std::vector<PackedMatrix> packed;
  packed.reserve(static_cast<std::size_t>(g.groups * 9));
  // One group at a time: [9][cout_g][cin_g], each component then packed on its own.
  std::vector<float> u(static_cast<std::size_t>(9 * matrix));
  for (std::int64_t grp = 0; grp < g.groups; ++grp) {
    for (std::int64_t o = 0; o < cout_g; ++o)
      for (std::int64_t i = 0; i < cin_g; ++i) {
        const float* k = weights + ((grp * cout_g + o) * cin_g + i) * 9;
        // t = G k (rows 0..2 of it), then U = t G^T (columns 0..2).
        float t[3][3];
        for (int c = 0; c < 3; ++c) {
          t[0][c] = k[c];
          t[1][c] = 0.5F * (k[c] + k[3 + c] + k[6 + c]);
          t[2][c] = 0.5F * (k[c] - k[3 + c] + k[6 + c]);
        }
        for (int r = 0; r < 3; ++r) {
          const float row[3] = {t[r][0], 0.5F * (t[r][0] + t[r][1] + t[r][2]), 0.5F * (t[r][0] - t[r][1] + t[r][2])};
          for (int c = 0; c < 3; ++c) u[static_cast<std::size_t>((r * 3 + c) * matrix + o * cin_g + i)] = row[c];
        }
      }
    for (int k = 0; k < 9; ++k) packed.emplace_back(u.data() + k * matrix, cout_g, cin_g, cin_g);
  }
  return packed;
}

std::vector<float> weights_from_winograd(const ConvGeometry& g, const std::vector<PackedMatrix>& kept) {
  const std::int64_t cin_g = g.in_channels / g.groups;
  const std::int64_t cout_g = g.out_channels / g.groups;
  const std::int64_t matrix = cout_g * cin_g;
  std::vector<float> weights(static_cast<std::size_t>(g.groups * matrix * 9));
  std::vector<float> u(static_cast<std::size_t>(9 * matrix));
  for (std::int64_t grp = 0; grp < g.groups; ++grp) {
    for (int k = 0; k < 9; ++k) kept[static_cast<std::size_t>(grp * 9 + k)].unpack(u.data() + k * matrix);
    for (std::int64_t o = 0; o < cout_g; ++o)
      for (std::int64_t i = 0; i < cin_g; ++i) {
        auto at = [&](int r, int c) { return u[static_cast<std::size_t>((r * 3 + c) * matrix + o * cin_g + i)]; };
        // For a row t = (t0, t1, t2), the kept entries are (t0, (t0+t1+t2)/2, (t0-t1+t2)/2): t1 is their
        // difference and t2 their sum minus t0. The same undoes G down the columns.
        float t[3][3];
        for (int r = 0; r < 3; ++r)
          t[r][0] = at(r, 0), t[r][1] = at(r, 1) - at(r, 2), t[r][2] = at(r, 1) + at(r, 2) - at(r, 0);
        float* k = weights.data() + ((grp * cout_g + o) * cin_g + i) * 9;
        for (int c = 0; c < 3; ++c) {
          k[c] = t[0][c];
          k[3 + c] = t[1][c] - t[2][c];
          k[6 + c] = t[1][c] + t[2][c] - t[0][c];
        }
      }
  }
  return weights;
}

void convolution_winograd(const ConvGeometry& g, const float* input, const std::vector<PackedMatrix>& transformed,
                          const std::vector<float>& bias, const ActivationFunction* activation, float* output,
                          ThreadPool& pool) {
  const std::int64_t cin_g = g.in_channels / g.groups;
  const std::int64_t cout_g = g.out_channels / g.groups;
  const std::int64_t in_h = g.in[1];
  const std::int64_t in_w = g.in[2];
  const std::int64_t out_h = g.out[1];
  const std::int64_t out_w = g.out[2];
  const std::int64_t pad_h = g.pad_before[1];
  const std::int64_t pad_w = g.pad_before[2];
  const std::int64_t tw = ceil_div(out_w, 2);  // tiles per tile row
  const std::int64_t th = ceil_div(out_h, 2);
  const std::int64_t units = g.batch * g.groups;
  // Blocks of whole tile rows, within kTaskBytes and numerous enough to feed the pool.
  const std::int64_t tile_bytes = (4 * cin_g + 3 * cout_g) * std::int64_t{sizeof(float)};
  const std::int64_t target = std::clamp<std::int64_t>(kTaskBytes / tile_bytes, 16, 512);
  std::int64_t rows_per_block = std::max<std::int64_t>(1, target / tw);
  const std::int64_t wanted_tasks = 4 * static_cast<std::int64_t>(pool.size());
  if (units * ceil_div(th, rows_per_block) < wanted_tasks)
    rows_per_block = ceil_div(th, ceil_div(wanted_tasks, units));
  // Below ~32 tiles a task's 16 GEMMs cost more in packing V and in calls than they compute.
  rows_per_block = std::max(rows_per_block, ceil_div(32, tw));
  const std::int64_t blocks = ceil_div(th, rows_per_block);
  const std::int64_t max_count = std::min(rows_per_block, th) * tw;
  // B^T's row r combines input rows ia[r] and ib[r] of a tile: d[ia] + sign * d[ib].
  static constexpr int ia[4] = {0, 1, 2, 1};
  static constexpr int ib[4] = {2, 2, 1, 3};
  static constexpr float sign[4] = {-1.0F, 1.0F, -1.0F, -1.0F};
  pool.parallel_for(units * blocks, 1, [&](std::int64_t begin, std::int64_t end) {
    const std::int64_t v_size = 4 * cin_g * max_count;
    const std::int64_t plane_size = cout_g * max_count;
    const std::int64_t line = tw + 1;
    // Uninitialized on purpose: every element is written before it is read.
    const std::unique_ptr<float[]> buffer(new float[static_cast<std::size_t>(v_size + 3 * plane_size + 2 * line + in_w)]);
    PackedMatrix u_sum(cout_g, cin_g);   // a formed component of U
    float* v = buffer.get();             // [4][cin_g][count]: V[r][c] for the current r
    float* row0 = v + v_size;            // [cout_g][count]: (M[r] A)[0] = M[r][0] + M[r][1] + M[r][2]
    float* row1 = row0 + plane_size;     // [cout_g][count]: (M[r] A)[1] = M[r][1] - M[r][2] - M[r][3]
    float* product = row1 + plane_size;  // [cout_g][count]: M[r][1], then M[r][2]
    float* even = product + plane_size;  // input columns 2j - pad of the combined row
    float* odd = even + line;            // input columns 2j + 1 - pad
    float* zeros = odd + line;           // stands for rows above and below the input
    std::fill(zeros, zeros + in_w, 0.0F);
    for (std::int64_t task = begin; task < end; ++task) {
      const std::int64_t unit = task / blocks;
      const std::int64_t n = unit / g.groups;
      const std::int64_t grp = unit % g.groups;
      const std::int64_t ty0 = (task % blocks) * rows_per_block;
      const std::int64_t ty1 = std::min(th, ty0 + rows_per_block);
      const std::int64_t count = (ty1 - ty0) * tw;
      const std::int64_t plane_count = cout_g * count;
      const float* in = input + (n * g.in_channels + grp * cin_g) * in_h * in_w;
      float* out = output + (n * g.out_channels + grp * cout_g) * out_h * out_w;
      auto gemm = [&](int r, int c, float* into) {
        multiply_packed(component(transformed, grp, r, c, u_sum), 0, cout_g, v + c * cin_g * max_count, max_count,
                        count, nullptr, nullptr, into, count);
      };
      for (int r = 0; r < 4; ++r) {
        // V[r][c] = ((d[ia] + sign d[ib]) B)[c]: tile tx reads columns 2tx - pad .. 2tx - pad + 3 of the
        // combined row, which are even[tx], odd[tx], even[tx + 1], odd[tx + 1].
        for (std::int64_t ci = 0; ci < cin_g; ++ci) {
          const float* plane = in + ci * in_h * in_w;
          for (std::int64_t ty = ty0; ty < ty1; ++ty) {
            auto row = [&](std::int64_t yy) { return yy >= 0 && yy < in_h ? plane + yy * in_w : zeros; };
            split_columns(row(2 * ty - pad_h + ia[r]), row(2 * ty - pad_h + ib[r]), sign[r], in_w, pad_w, tw, even, odd);
            const ConstArray e0(even, tw);
            const ConstArray e1(even + 1, tw);
            const ConstArray o0(odd, tw);
            const ConstArray o1(odd + 1, tw);
            const std::int64_t base = (ci * max_count) + (ty - ty0) * tw;
            auto vrow = [&](int c) { return Array(v + c * cin_g * max_count + base, tw); };
            vrow(0) = e0 - e1;
            vrow(1) = o0 + e1;
            vrow(2) = e1 - o0;
            vrow(3) = o0 - o1;
          }
        }
        // (M[r] A)[q] for q = 0, 1, with A's columns (1, 1, 1, 0) and (0, 1, -1, -1).
        gemm(r, 0, row0);
        gemm(r, 3, row1);
        Array sum0(row0, plane_count);
        Array sum1(row1, plane_count);
        const ConstArray m(product, plane_count);
        gemm(r, 1, product);
        sum0 += m;
        sum1 = m - sum1;
        gemm(r, 2, product);
        sum0 += m;
        sum1 -= m;
        // Y = A^T (M A) is linear in M: row r adds to the output's phases p with weight A^T[p][r].
        fold_into_output(r, row0, row1, count, ty0, ty1, tw, cout_g, out_h, out_w, grp, bias, activation, out);
      }
    }
  });
}

}  // namespace mlconv::exec
