// Convolution by im2col + GEMM (a pointwise convolution multiplies the input
// in place), depthwise convolution by direct loops (3x3 with the taps summed
// in registers), and transposed convolution by GEMM + col2im. Work is split
// into disjoint chunks (column tiles, channel blocks, channel planes); each
// chunk runs single-threaded products with the weights packed at load
// (packed_gemm.h).
#include "executor/kernels/convolution_engine.h"

#include <algorithm>
#include <memory>

#include <Eigen/Core>

namespace mlconv::exec {

namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// A block of output channels starts where the packed weights' row panels do.
std::int64_t aligned_rows(std::int64_t rows) {
  return ceil_div(rows, PackedMatrix::row_alignment()) * PackedMatrix::row_alignment();
}

// The range [lo, hi) of output positions o for which o * stride + offset lies in [0, size).
void valid_range(std::int64_t offset, std::int64_t stride, std::int64_t size, std::int64_t count, std::int64_t& lo,
                 std::int64_t& hi) {
  lo = offset >= 0 ? 0 : ceil_div(-offset, stride);
  hi = offset >= size ? 0 : (size - 1 - offset) / stride + 1;
  lo = std::min(lo, count);
  hi = std::clamp(hi, lo, count);
}

// Column tiles small enough to spread over the pool and to keep an im2col
// tile in cache, large enough to keep the GEMM efficient. A tile aims at 128 KiB
// (64 columns at least): it stays in L2 beside its packed copy, and each thread's
// tile buffer stays small (with tiles of up to 1 MB, the ResNet bench net's
// stride-2 layer held 0.5 MB per thread).
std::int64_t column_tile(std::int64_t columns, std::int64_t units, std::int64_t rows, int threads) {
  const std::int64_t wanted_tasks = static_cast<std::int64_t>(threads) * 4;
  const std::int64_t tiles_per_unit = std::max<std::int64_t>(1, ceil_div(wanted_tasks, units));
  std::int64_t tile = ceil_div(columns, tiles_per_unit);
  const std::int64_t cache_cap = std::max<std::int64_t>(64, (std::int64_t{1} << 15) / std::max<std::int64_t>(rows, 1));
  tile = std::min(tile, cache_cap);
  tile = std::max<std::int64_t>(tile, std::min<std::int64_t>(columns, 64));
  return ceil_div(tile, 16) * 16;
}

// Splits the GEMM's output rows (channels) too when column tiles alone leave
// threads idle, as on the small feature maps late in a network. Each block
// redoes its tile's im2col, which is cheap next to the block's GEMM.
std::int64_t row_block(std::int64_t rows, std::int64_t tasks, int threads) {
  const std::int64_t wanted = 2 * static_cast<std::int64_t>(threads);
  if (threads <= 1 || tasks >= wanted) return rows;
  const std::int64_t blocks = std::clamp<std::int64_t>(ceil_div(wanted, tasks), 1, std::max<std::int64_t>(1, rows / 16));
  return aligned_rows(ceil_div(rows, blocks));
}

// A pointwise convolution reads its input in place, so no im2col tile bounds its column
// tiles. Splitting the columns makes every task stream all the weights, splitting the
// output channels makes every task pack all the columns of the input. Late layers (few
// positions, many channels: MobileNet's last has 4 MB of weights for 49 positions) split
// channels; early ones split columns, in tiles whose input slice stays near L2.
void pointwise_split(std::int64_t columns, std::int64_t cout, std::int64_t units, std::int64_t rows, int threads,
                     std::int64_t& tile, std::int64_t& block) {
  // Two tasks per thread let a thread that is ahead take work from one that is behind. Each
  // task packs again the input columns it multiplies, so more cost more: with the weights
  // packed at load, 4 per thread measured 2-10% slower than 2 on MobileNet at 2 threads.
  const std::int64_t per_unit = std::max<std::int64_t>(1, ceil_div(threads, units));
  const std::int64_t parts =
      threads <= 1 ? 1 : std::clamp<std::int64_t>(std::max(columns, cout) / 128, per_unit, 2 * per_unit);
  // A task's input slice: 256 KiB at most.
  const std::int64_t cache_cap = std::max<std::int64_t>(256, (std::int64_t{1} << 16) / std::max<std::int64_t>(rows, 1));
  if (columns < cout && parts > 1) {
    tile = columns;
    block = aligned_rows(ceil_div(cout, parts));
    return;
  }
  tile = std::min(ceil_div(ceil_div(columns, parts), 16) * 16, ceil_div(cache_cap, 16) * 16);
  block = cout;
}

// to[i] = from[2 i] for i < n. With the pointers restrict-qualified GCC vectorizes the
// stride-2 read with permutes; the general strided loop stays scalar (or uses gathers).
void copy_every_other(const float* __restrict from, std::int64_t n, float* __restrict to) {
  for (std::int64_t i = 0; i < n; ++i) to[i] = from[2 * i];
}

// Writes rows (channel, kz, ky, kx) x output positions [c0, c1) of one group's input.
void im2col_tile(const ConvGeometry& g, const float* in, std::int64_t channels, std::int64_t c0, std::int64_t c1,
                 float* col) {
  const std::int64_t tile = c1 - c0;
  const auto [in_d, in_h, in_w] = g.in;
  const std::int64_t out_w = g.out[2];
  const std::int64_t plane = g.in_size();
  float* dst = col;
  for (std::int64_t c = 0; c < channels; ++c) {
    const float* src_c = in + c * plane;
    for (std::int64_t kz = 0; kz < g.kernel[0]; ++kz)
      for (std::int64_t ky = 0; ky < g.kernel[1]; ++ky)
        for (std::int64_t kx = 0; kx < g.kernel[2]; ++kx, dst += tile) {
          const std::int64_t x_offset = kx * g.dilation[2] - g.pad_before[2];
          std::int64_t x_lo = 0;
          std::int64_t x_hi = 0;
          valid_range(x_offset, g.stride[2], in_w, out_w, x_lo, x_hi);
          std::int64_t j = c0;
          while (j < c1) {
            const std::int64_t ox0 = j % out_w;
            const std::int64_t row = j / out_w;  // od * out_h + oy
            const std::int64_t oy = row % g.out[1];
            const std::int64_t od = row / g.out[1];
            const std::int64_t seg_end = std::min(out_w, ox0 + (c1 - j));
            float* d = dst + (j - c0);  // d[ox - ox0] is output position ox of this segment
            const std::int64_t iz = od * g.stride[0] + kz * g.dilation[0] - g.pad_before[0];
            const std::int64_t iy = oy * g.stride[1] + ky * g.dilation[1] - g.pad_before[1];
            if (iz < 0 || iz >= in_d || iy < 0 || iy >= in_h) {
              std::fill(d, d + (seg_end - ox0), 0.0F);
            } else {
              const float* s = src_c + (iz * in_h + iy) * in_w;
              const std::int64_t lo = std::clamp(x_lo, ox0, seg_end);
              const std::int64_t hi = std::clamp(x_hi, lo, seg_end);
              std::fill(d, d + (lo - ox0), 0.0F);
              const std::int64_t sx = g.stride[2];
              if (sx == 1 && hi > lo) {
                std::copy(s + (lo + x_offset), s + (hi + x_offset), d + (lo - ox0));
              } else if (sx == 2 && hi > lo) {
                copy_every_other(s + (2 * lo + x_offset), hi - lo, d + (lo - ox0));
              } else {
                for (std::int64_t ox = lo; ox < hi; ++ox) d[ox - ox0] = s[ox * sx + x_offset];
              }
              std::fill(d + (hi - ox0), d + (seg_end - ox0), 0.0F);
            }
            j += seg_end - ox0;
          }
        }
  }
}

bool is_pointwise(const ConvGeometry& g) {
  for (int a = 0; a < 3; ++a)
    if (g.kernel[a] != 1 || g.stride[a] != 1 || g.pad_before[a] != 0 || g.in[a] != g.out[a]) return false;
  return true;
}

// One plane per output channel, the kernel taps applied row by row so the inner loop is contiguous.
void depthwise_2d(const ConvGeometry& g, const float* input, const float* weights, const std::vector<float>& bias,
                  const ActivationFunction* activation, float* output, ThreadPool& pool) {
  const std::int64_t in_h = g.in[1];
  const std::int64_t in_w = g.in[2];
  const std::int64_t out_h = g.out[1];
  const std::int64_t out_w = g.out[2];
  const std::int64_t kh = g.kernel[1];
  const std::int64_t kw = g.kernel[2];
  const std::int64_t sw = g.stride[2];
  // The valid output columns of each kernel column do not depend on the row: compute them once.
  std::vector<std::int64_t> x_offset(static_cast<std::size_t>(kw));
  std::vector<std::int64_t> x_lo(static_cast<std::size_t>(kw));
  std::vector<std::int64_t> x_hi(static_cast<std::size_t>(kw));
  for (std::int64_t kx = 0; kx < kw; ++kx) {
    const auto u = static_cast<std::size_t>(kx);
    x_offset[u] = kx * g.dilation[2] - g.pad_before[2];
    valid_range(x_offset[u], sw, in_w, out_w, x_lo[u], x_hi[u]);
  }
  pool.parallel_for(g.batch * g.out_channels, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t p = begin; p < end; ++p) {
      const std::int64_t c = p % g.out_channels;
      const float* in = input + p * in_h * in_w;
      const float* w = weights + c * kh * kw;
      float* out = output + p * out_h * out_w;
      const float b = bias.empty() ? 0.0F : bias[static_cast<std::size_t>(c)];
      for (std::int64_t oy = 0; oy < out_h; ++oy) {
        float* o = out + oy * out_w;
        std::fill(o, o + out_w, b);
        for (std::int64_t ky = 0; ky < kh; ++ky) {
          const std::int64_t iy = oy * g.stride[1] + ky * g.dilation[1] - g.pad_before[1];
          if (iy < 0 || iy >= in_h) continue;
          const float* row = in + iy * in_w;
          for (std::int64_t kx = 0; kx < kw; ++kx) {
            const auto u = static_cast<std::size_t>(kx);
            const std::int64_t lo = x_lo[u];
            const std::int64_t hi = x_hi[u];
            const float wv = w[ky * kw + kx];
            if (sw == 1) {
              // Explicitly vectorized: -O2 does not vectorize loops needing an alias check or a remainder.
              Eigen::Map<Eigen::ArrayXf>(o + lo, hi - lo) +=
                  wv * Eigen::Map<const Eigen::ArrayXf>(row + (lo + x_offset[u]), hi - lo);
            } else {
              for (std::int64_t ox = lo; ox < hi; ++ox) o[ox] += wv * row[ox * sw + x_offset[u]];
            }
          }
        }
        if (activation != nullptr) activation->apply_in_place(o, out_w);
      }
    }
  });
}

// 3x3 depthwise with stride 1 or 2, undilated (MobileNet's): each output sums
// its 9 taps in registers, so a row costs 9 loads and 1 store per output
// instead of 9 passes over the output row. Rows above or below the input read
// a zero row; only the border columns check bounds. Taps are added in
// depthwise_2d's order (bias, then row by row), so the two agree to rounding.
bool depthwise_3x3_applicable(const ConvGeometry& g) {
  return g.kernel[1] == 3 && g.kernel[2] == 3 && g.dilation[1] == 1 && g.dilation[2] == 1 &&
         (g.stride[2] == 1 || g.stride[2] == 2);
}

// Stride 1 on a plane of at most this many padded elements: see depthwise_3x3_padded.
constexpr std::int64_t padded_plane_limit = std::int64_t{1} << 16;

// Stride-1 3x3 depthwise on a copy of each channel with its padding made explicit (zero
// rows and columns around it). Then every output, border or not, is the same 9-tap sum,
// and a whole plane's outputs are one run of vector operations: output (y, x) is at
// y * wp + x and reads padded (y + ky, x + kx) = y * wp + x + ky * wp + kx, so running x on
// past a row's end computes 2 values per row that are dropped. On MobileNet's 14x14 and
// 7x7 planes the row-by-row loop ran mostly in its scalar borders and remainders.
// A tap on padding adds w * 0 to the sum, which leaves it as it was: results are those
// of the row-by-row loop, bit for bit.
void depthwise_3x3_padded(const ConvGeometry& g, const float* input, const float* weights, const std::vector<float>& bias,
                          const ActivationFunction* activation, float* output, ThreadPool& pool) {
  const std::int64_t in_h = g.in[1];
  const std::int64_t in_w = g.in[2];
  const std::int64_t out_h = g.out[1];
  const std::int64_t out_w = g.out[2];
  const std::int64_t top = g.pad_before[1];
  const std::int64_t left = g.pad_before[2];
  const std::int64_t wp = out_w + 2;
  const std::int64_t hp = out_h + 2;
  const std::int64_t run = out_h * wp;
  pool.parallel_for(g.batch * g.out_channels, 1, [&](std::int64_t begin, std::int64_t end) {
    // Per chunk: the zero border is written once and stays; each channel overwrites only the inside.
    // The 2 extra elements are read (times a weight) by the last run's dropped outputs.
    const std::unique_ptr<float[]> buffer(new float[static_cast<std::size_t>(hp * wp + 2 + run)]);
    float* padded = buffer.get();
    float* sums = padded + hp * wp + 2;
    std::fill(padded, padded + hp * wp + 2, 0.0F);
    for (std::int64_t p = begin; p < end; ++p) {
      const std::int64_t c = p % g.out_channels;
      const float* in = input + p * in_h * in_w;
      for (std::int64_t iy = 0; iy < in_h; ++iy) std::copy_n(in + iy * in_w, in_w, padded + (iy + top) * wp + left);
      const float* w = weights + c * 9;
      const float b = bias.empty() ? 0.0F : bias[static_cast<std::size_t>(c)];
      const float* r0 = padded;
      const float* r1 = padded + wp;
      const float* r2 = padded + 2 * wp;
      for (std::int64_t i = 0; i < run; ++i) {
        sums[i] = b + w[0] * r0[i] + w[1] * r0[i + 1] + w[2] * r0[i + 2] + w[3] * r1[i] + w[4] * r1[i + 1] +
                  w[5] * r1[i + 2] + w[6] * r2[i] + w[7] * r2[i + 1] + w[8] * r2[i + 2];
      }
      float* out = output + p * out_h * out_w;
      for (std::int64_t oy = 0; oy < out_h; ++oy) {
        float* o = out + oy * out_w;
        std::copy_n(sums + oy * wp, out_w, o);
        if (activation != nullptr) activation->apply_in_place(o, out_w);
      }
    }
  });
}

void depthwise_3x3(const ConvGeometry& g, const float* input, const float* weights, const std::vector<float>& bias,
                   const ActivationFunction* activation, float* output, ThreadPool& pool) {
  const std::int64_t in_h = g.in[1];
  const std::int64_t in_w = g.in[2];
  const std::int64_t out_h = g.out[1];
  const std::int64_t out_w = g.out[2];
  const std::int64_t sy = g.stride[1];
  const std::int64_t sx = g.stride[2];
  if (sy == 1 && sx == 1 && (out_h + 2) * (out_w + 2) <= padded_plane_limit && g.pad_before[1] <= 2 && g.pad_before[2] <= 2) {
    return depthwise_3x3_padded(g, input, weights, bias, activation, output, pool);
  }
  const std::int64_t left = g.pad_before[2];
  // Output columns whose three input columns ox * sx - left + {0, 1, 2} all lie inside the row.
  std::int64_t inner_lo = 0;
  std::int64_t inner_hi = 0;
  valid_range(-left, sx, in_w - 2, out_w, inner_lo, inner_hi);
  pool.parallel_for(g.batch * g.out_channels, 1, [&](std::int64_t begin, std::int64_t end) {
    thread_local std::vector<float> zero_row;
    zero_row.assign(static_cast<std::size_t>(in_w), 0.0F);
    for (std::int64_t p = begin; p < end; ++p) {
      const std::int64_t c = p % g.out_channels;
      const float* in = input + p * in_h * in_w;
      const float* w = weights + c * 9;
      const float b = bias.empty() ? 0.0F : bias[static_cast<std::size_t>(c)];
      float* out = output + p * out_h * out_w;
      for (std::int64_t oy = 0; oy < out_h; ++oy) {
        const float* rows[3];
        for (std::int64_t ky = 0; ky < 3; ++ky) {
          const std::int64_t iy = oy * sy + ky - g.pad_before[1];
          rows[ky] = iy >= 0 && iy < in_h ? in + iy * in_w : zero_row.data();
        }
        float* o = out + oy * out_w;
        const auto border = [&](std::int64_t ox) {
          float sum = b;
          for (std::int64_t ky = 0; ky < 3; ++ky)
            for (std::int64_t kx = 0; kx < 3; ++kx) {
              const std::int64_t ix = ox * sx + kx - left;
              if (ix >= 0 && ix < in_w) sum += w[ky * 3 + kx] * rows[ky][ix];
            }
          o[ox] = sum;
        };
        for (std::int64_t ox = 0; ox < inner_lo; ++ox) border(ox);
        const float* r0 = rows[0];
        const float* r1 = rows[1];
        const float* r2 = rows[2];
        if (sx == 1) {
          for (std::int64_t ox = inner_lo; ox < inner_hi; ++ox) {
            const std::int64_t i = ox - left;
            o[ox] = b + w[0] * r0[i] + w[1] * r0[i + 1] + w[2] * r0[i + 2] + w[3] * r1[i] + w[4] * r1[i + 1] +
                    w[5] * r1[i + 2] + w[6] * r2[i] + w[7] * r2[i + 1] + w[8] * r2[i + 2];
          }
        } else {
          for (std::int64_t ox = inner_lo; ox < inner_hi; ++ox) {
            const std::int64_t i = 2 * ox - left;
            o[ox] = b + w[0] * r0[i] + w[1] * r0[i + 1] + w[2] * r0[i + 2] + w[3] * r1[i] + w[4] * r1[i + 1] +
                    w[5] * r1[i + 2] + w[6] * r2[i] + w[7] * r2[i + 1] + w[8] * r2[i + 2];
          }
        }
        for (std::int64_t ox = std::max(inner_hi, inner_lo); ox < out_w; ++ox) border(ox);
        if (activation != nullptr) activation->apply_in_place(o, out_w);
      }
    }
  });
}

bool is_depthwise_family(const ConvGeometry& g) { return g.groups == g.in_channels && g.groups == g.out_channels; }

}  // namespace

std::vector<PackedMatrix> ConvolutionWeights::pack_groups(const ConvGeometry& g, const float* weights) {
  const std::int64_t cout_g = g.out_channels / g.groups;
  const std::int64_t depth = g.in_channels / g.groups * g.kernel_size();
  std::vector<PackedMatrix> groups;
  groups.reserve(static_cast<std::size_t>(g.groups));
  for (std::int64_t grp = 0; grp < g.groups; ++grp)
    groups.emplace_back(weights + grp * cout_g * depth, cout_g, depth, depth);
  return groups;
}

ConvolutionWeights::ConvolutionWeights(const ConvGeometry& g, const float* weights) {
  if (is_depthwise_family(g)) {
    depthwise_.assign(weights, weights + g.out_channels * g.kernel_size());
  } else {
    groups_ = pack_groups(g, weights);
  }
}

void convolution_forward(const ConvGeometry& g, const float* input, const ConvolutionWeights& weights,
                         const std::vector<float>& bias, const ActivationFunction* activation, float* output,
                         ThreadPool& pool) {
  const std::int64_t cin_g = g.in_channels / g.groups;
  const std::int64_t cout_g = g.out_channels / g.groups;
  std::vector<PackedMatrix> packed_now;  // a depthwise layer's weights, when its geometry is not depthwise
  if (is_depthwise_family(g)) {
    if (g.in[0] == 1 && g.kernel[0] == 1 && g.out[0] == 1) {
      if (depthwise_3x3_applicable(g)) {
        depthwise_3x3(g, input, weights.depthwise_.data(), bias, activation, output, pool);
      } else {
        depthwise_2d(g, input, weights.depthwise_.data(), bias, activation, output, pool);
      }
      return;
    }
    packed_now = ConvolutionWeights::pack_groups(g, weights.depthwise_.data());
  }
  const std::vector<PackedMatrix>& packed = packed_now.empty() ? weights.groups_ : packed_now;
  const std::int64_t rows = cin_g * g.kernel_size();  // GEMM inner dimension
  const std::int64_t columns = g.out_size();
  const std::int64_t in_plane = g.in_size();
  const bool pointwise = is_pointwise(g);
  const std::int64_t units = g.batch * g.groups;
  std::int64_t tile = column_tile(columns, units, rows, pool.size());
  std::int64_t block = 0;
  if (pointwise) pointwise_split(columns, cout_g, units, rows, pool.size(), tile, block);
  const std::int64_t tiles = ceil_div(columns, tile);
  if (!pointwise) block = row_block(cout_g, units * tiles, pool.size());
  const std::int64_t blocks = ceil_div(cout_g, block);
  pool.parallel_for(units * tiles * blocks, 1, [&](std::int64_t begin, std::int64_t end) {
    // Per chunk, not thread_local: a thread-local tile would keep the largest layer's size for the
    // process's life on every thread, on top of the other kernels' scratch (docs/performance.md, session 8).
    std::unique_ptr<float[]> col;  // uninitialized: im2col_tile writes every element
    if (!pointwise) col.reset(new float[static_cast<std::size_t>(rows * tile)]);
    for (std::int64_t task = begin; task < end; ++task) {
      const std::int64_t r0 = (task % blocks) * block;
      const std::int64_t r1 = std::min(cout_g, r0 + block);
      const std::int64_t unit = task / blocks / tiles;
      const std::int64_t n = unit / g.groups;
      const std::int64_t grp = unit % g.groups;
      const std::int64_t c0 = (task / blocks % tiles) * tile;
      const std::int64_t c1 = std::min(columns, c0 + tile);
      const float* in = input + (n * g.in_channels + grp * cin_g) * in_plane;
      const float* rhs = nullptr;
      std::int64_t rhs_stride = 0;
      if (pointwise) {
        rhs = in + c0;
        rhs_stride = in_plane;
      } else {
        im2col_tile(g, in, cin_g, c0, c1, col.get());
        rhs = col.get();
        rhs_stride = c1 - c0;
      }
      const std::int64_t first = grp * cout_g + r0;  // output channel of the block's first row
      multiply_packed(packed[static_cast<std::size_t>(grp)], r0, r1, rhs, rhs_stride, c1 - c0,
                      bias.empty() ? nullptr : bias.data() + first, activation,
                      output + (n * g.out_channels + first) * columns + c0, columns);
    }
  });
}

void convolution_transpose(const ConvGeometry& g, const float* input, const std::vector<PackedMatrix>& packed,
                           const std::vector<float>& bias, const ActivationFunction* activation, float* output,
                           ThreadPool& pool) {
  const std::int64_t cin_g = g.in_channels / g.groups;
  const std::int64_t cout_g = g.out_channels / g.groups;
  const std::int64_t taps = g.kernel_size();
  const std::int64_t rows = cout_g * taps;  // per group
  const std::int64_t columns = g.in_size();
  const std::int64_t out_plane = g.out_size();
  const std::int64_t tile = column_tile(columns, g.groups, cin_g, pool.size());
  const std::int64_t tiles = ceil_div(columns, tile);
  const std::int64_t block = row_block(rows, g.groups * tiles, pool.size());
  const std::int64_t blocks = ceil_div(rows, block);
  std::vector<float> col(static_cast<std::size_t>(g.groups * rows * columns));
  for (std::int64_t n = 0; n < g.batch; ++n) {
    const float* in = input + n * g.in_channels * columns;
    // col[group][o, tap][input position] = sum_i w[group][o, tap][i] * x[group][i][position]
    pool.parallel_for(g.groups * tiles * blocks, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t task = begin; task < end; ++task) {
        const std::int64_t r0 = (task % blocks) * block;
        const std::int64_t r1 = std::min(rows, r0 + block);
        const std::int64_t grp = task / blocks / tiles;
        const std::int64_t c0 = (task / blocks % tiles) * tile;
        const std::int64_t c1 = std::min(columns, c0 + tile);
        multiply_packed(packed[static_cast<std::size_t>(grp)], r0, r1, in + grp * cin_g * columns + c0, columns, c1 - c0,
                        nullptr, nullptr, col.data() + (grp * rows + r0) * columns + c0, columns);
      }
    });
    // Scatter-add each tap's row into the output plane of its channel (col2im).
    float* out_n = output + n * g.out_channels * out_plane;
    pool.parallel_for(g.out_channels, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t co = begin; co < end; ++co) {
        float* out = out_n + co * out_plane;
        std::fill(out, out + out_plane, bias.empty() ? 0.0F : bias[static_cast<std::size_t>(co)]);
        const float* col_c = col.data() + co * taps * columns;  // groups are consecutive in col
        for (std::int64_t t = 0; t < taps; ++t) {
          const std::int64_t kz = t / (g.kernel[1] * g.kernel[2]);
          const std::int64_t ky = (t / g.kernel[2]) % g.kernel[1];
          const std::int64_t kx = t % g.kernel[2];
          const float* src = col_c + t * columns;
          const std::int64_t x_offset = kx * g.dilation[2] - g.pad_before[2];
          std::int64_t x_lo = 0;
          std::int64_t x_hi = 0;
          // Input columns ix whose target ox = ix * stride + x_offset lies in the output.
          const std::int64_t sx = g.stride[2];
          x_lo = x_offset >= 0 ? 0 : ceil_div(-x_offset, sx);
          x_hi = x_offset >= g.out[2] ? 0 : (g.out[2] - 1 - x_offset) / sx + 1;
          x_hi = std::min(x_hi, g.in[2]);
          for (std::int64_t iz = 0; iz < g.in[0]; ++iz) {
            const std::int64_t oz = iz * g.stride[0] + kz * g.dilation[0] - g.pad_before[0];
            if (oz < 0 || oz >= g.out[0]) continue;
            for (std::int64_t iy = 0; iy < g.in[1]; ++iy) {
              const std::int64_t oy = iy * g.stride[1] + ky * g.dilation[1] - g.pad_before[1];
              if (oy < 0 || oy >= g.out[1]) continue;
              const float* s = src + (iz * g.in[1] + iy) * g.in[2];
              float* d = out + (oz * g.out[1] + oy) * g.out[2];
              for (std::int64_t ix = x_lo; ix < x_hi; ++ix) d[ix * sx + x_offset] += s[ix];
            }
          }
        }
        if (activation != nullptr) activation->apply_in_place(out, out_plane);
      }
    });
  }
}

}  // namespace mlconv::exec
