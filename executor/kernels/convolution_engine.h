// The arithmetic behind convolution and convolution3d: grouped, strided,
// dilated, zero-padded convolution and its transpose over [N, C, D, H, W]
// data (2-D layers use D = 1). Layers parse parameters and pack weights once
// (ConvolutionWeights, pack_transpose_weights); these functions only compute,
// with single-threaded products on disjoint chunks handed out by the thread pool.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "executor/kernels/activation_function.h"
#include "executor/kernels/packed_gemm.h"
#include "executor/parallel.h"

namespace mlconv::exec {

struct ConvGeometry {
  std::int64_t batch = 1;
  std::int64_t groups = 1;
  std::int64_t in_channels = 0;   // over all groups
  std::int64_t out_channels = 0;  // over all groups
  std::array<std::int64_t, 3> in{1, 1, 1};     // input D, H, W
  std::array<std::int64_t, 3> out{1, 1, 1};    // output D, H, W
  std::array<std::int64_t, 3> kernel{1, 1, 1};
  std::array<std::int64_t, 3> stride{1, 1, 1};
  std::array<std::int64_t, 3> dilation{1, 1, 1};
  // Convolution: zeros before the input on each axis. Transposed convolution:
  // how many leading rows of the full (uncropped) result are cut off.
  std::array<std::int64_t, 3> pad_before{0, 0, 0};

  [[nodiscard]] std::int64_t in_size() const { return in[0] * in[1] * in[2]; }
  [[nodiscard]] std::int64_t out_size() const { return out[0] * out[1] * out[2]; }
  [[nodiscard]] std::int64_t kernel_size() const { return kernel[0] * kernel[1] * kernel[2]; }
};

// Convolution weights as the engine reads them, prepared once at load. Depthwise
// layers (one input and one output channel per group) keep the spec's layout
// [C_out, 1, kD, kH, kW] for their direct loops; the others hold each group's
// [C_out / groups, C_in / groups * kD*kH*kW] matrix packed for the GEMM kernel
// (packed_gemm.h), in place of the plain copy.
class ConvolutionWeights {
 public:
  ConvolutionWeights() = default;
  // g gives the groups, channels and kernel; weights are in the spec's layout
  // [C_out, C_in / groups, kD, kH, kW].
  ConvolutionWeights(const ConvGeometry& g, const float* weights);

 private:
  friend void convolution_forward(const ConvGeometry&, const float*, const ConvolutionWeights&,
                                  const std::vector<float>&, const ActivationFunction*, float*, ThreadPool&);
  static std::vector<PackedMatrix> pack_groups(const ConvGeometry& g, const float* weights);

  std::vector<float> depthwise_;
  std::vector<PackedMatrix> groups_;
};

// bias is empty or C_out values. Output [N, C_out, outD, outH, outW].
// `activation` (may be null) is applied to each output block as it is written.
void convolution_forward(const ConvGeometry& g, const float* input, const ConvolutionWeights& weights,
                         const std::vector<float>& bias, const ActivationFunction* activation, float* output,
                         ThreadPool& pool);

// Transposed-convolution weights: per group, the [C_out/groups * kD*kH*kW, C_in/groups]
// matrix packed for the GEMM (see pack_transpose_weights); the result is cropped to
// g.out starting at g.pad_before.
void convolution_transpose(const ConvGeometry& g, const float* input, const std::vector<PackedMatrix>& packed,
                           const std::vector<float>& bias, const ActivationFunction* activation, float* output,
                           ThreadPool& pool);

// Winograd F(2x2, 3x3) (convolution_winograd.cc) for 3x3, stride-1, undilated
// 2-D convolution with at least 16 channels per group on each side.
bool winograd_applicable(const ConvGeometry& g);
// The spec-layout weights transformed once, at load, into the 9 Winograd components
// the engine keeps (as many values as the plain weights); the kernel keeps only these.
std::vector<PackedMatrix> winograd_weights(const ConvGeometry& g, const float* weights);
// The spec-layout weights back from the kept components (exact up to rounding:
// the transform's rows are sums and halves), for the rare shape where im2col runs.
std::vector<float> weights_from_winograd(const ConvGeometry& g, const std::vector<PackedMatrix>& transformed);
// Worth it over im2col only when the output has enough 2x2 tiles to amortise the
// transforms; very wide outputs would make a task's buffers (a whole tile row) huge.
inline bool winograd_pays_off(const ConvGeometry& g) { return g.out[1] * g.out[2] >= 144 && g.out[2] <= 1024; }
void convolution_winograd(const ConvGeometry& g, const float* input, const std::vector<PackedMatrix>& transformed,
                          const std::vector<float>& bias, const ActivationFunction* activation, float* output,
                          ThreadPool& pool);

// Packs transposed-convolution weights given a reader of element (input channel,
// output channel within its group, kernel tap), since 2-D and 3-D layers store them differently.
template <typename Read>
std::vector<PackedMatrix> pack_transpose_weights(const ConvGeometry& g, Read&& read) {
  const std::int64_t cin_g = g.in_channels / g.groups;
  const std::int64_t cout_g = g.out_channels / g.groups;
  const std::int64_t taps = g.kernel_size();
  std::vector<PackedMatrix> packed;
  std::vector<float> plain(static_cast<std::size_t>(cout_g * taps * cin_g));
  for (std::int64_t grp = 0; grp < g.groups; ++grp) {
    for (std::int64_t o = 0; o < cout_g; ++o)
      for (std::int64_t t = 0; t < taps; ++t)
        for (std::int64_t i = 0; i < cin_g; ++i)
          plain[static_cast<std::size_t>((o * taps + t) * cin_g + i)] = read(grp * cin_g + i, o, t);
    packed.emplace_back(plain.data(), cout_g * taps, cin_g, cin_g);
  }
  return packed;
}

}  // namespace mlconv::exec
