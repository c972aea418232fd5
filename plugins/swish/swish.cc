// The Swish activation of Hollemans' "Custom Layers in Core ML" as a plugin:
// y = x * sigmoid(beta * x) = x / (1 + exp(-beta * x)), elementwise, input i
// to output i. beta is the double parameter "beta" (default 1), or -- when
// the layer has one weight blob -- one learnable beta per channel, over axis
// C of [..., C, H, W] inputs, as the article's last version has it.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlconv/custom_layer.hpp"

namespace {

using mlconv::plugin::Shape;

std::string shape_text(std::span<const std::int64_t> shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i == 0 ? "" : ", ") + std::to_string(shape[i]);
  return text + "]";
}

// e^x without branches or library calls, so the loop below vectorizes: x = n ln2 + r,
// |r| <= ln2/2, e^r by Cephes' degree-6 polynomial, 2^n as two exponent-bit factors
// (so n = 128 overflows to inf and n = -150 underflows to 0 without a branch). About
// 1 ulp; NaN passes through. The plugin builds on its own against the installed API,
// so it carries its own copy rather than the executor's vector_math.h.
inline float vector_exp(float x) {
  x = x > 89.0F ? 89.0F : x;
  x = x < -104.0F ? -104.0F : x;
  constexpr float round = 12582912.0F;  // 1.5 * 2^23
  const float shifted = x * 1.44269504088896341F + round;
  const float n = shifted - round;
  const std::int32_t whole = std::bit_cast<std::int32_t>(shifted) - std::bit_cast<std::int32_t>(round);
  const float r = (x - n * 0.693359375F) - n * -2.12194440e-4F;
  float p = 1.9875691500e-4F;
  p = p * r + 1.3981999507e-3F;
  p = p * r + 8.3334519073e-3F;
  p = p * r + 4.1665795894e-2F;
  p = p * r + 1.6666665459e-1F;
  p = p * r + 5.0000001201e-1F;
  p = p * r * r + r + 1.0F;
  const std::int32_t half = whole >> 1;
  return p * std::bit_cast<float>((half + 127) << 23) * std::bit_cast<float>((whole - half + 127) << 23);
}

// One pass, 8 lanes at a time with AVX2/FMA where the CPU has it (the loader picks
// the clone at run time, so the plugin still runs on any x86-64), 4 with SSE2 otherwise.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void swish(const float* __restrict x, float* __restrict y, std::int64_t n, float beta) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = x[i] / (1.0F + vector_exp(-beta * x[i]));
}

class Swish final : public mlconv::plugin::CustomLayer {
 public:
  void init(const mlconv::plugin::LayerInfo& layer, const mlconv::plugin::Parameters& params) override {
    if (layer.input_count != layer.output_count)
      throw std::invalid_argument("Swish maps each input to one output; the layer has " +
                                  std::to_string(layer.input_count) + " inputs and " +
                                  std::to_string(layer.output_count) + " outputs");
    beta_is_parameter_ = params.has("beta");
    beta_ = static_cast<float>(params.number("beta", 1.0));
    if (!std::isfinite(beta_)) throw std::invalid_argument("parameter 'beta' must be finite");
  }

  void set_weights(std::span<const mlconv::plugin::Weight> weights) override {
    if (weights.empty()) return;
    if (weights.size() > 1)
      throw std::invalid_argument("Swish takes at most one weight blob (beta per channel); the layer has " +
                                  std::to_string(weights.size()));
    if (beta_is_parameter_)
      throw std::invalid_argument("beta is given twice: as parameter 'beta' and as a weight blob");
    const mlconv::plugin::Weight& blob = weights[0];
    if (!blob.floats().empty()) {
      channel_beta_.assign(blob.floats().begin(), blob.floats().end());
    } else if (blob.storage() == "bytes" && blob.bytes().size() % sizeof(float) == 0) {
      // Opaque bytes are read as little-endian float32, what setWeightData hands a Swift layer.
      channel_beta_.resize(blob.bytes().size() / sizeof(float));
      std::memcpy(channel_beta_.data(), blob.bytes().data(), blob.bytes().size());
    } else {
      throw std::invalid_argument("the beta weight blob holds " + std::to_string(blob.bytes().size()) + " bytes of " +
                                  std::string(blob.storage()) + "; expected float values");
    }
    if (channel_beta_.empty()) throw std::invalid_argument("the beta weight blob is empty");
    for (float beta : channel_beta_)
      if (!std::isfinite(beta)) throw std::invalid_argument("the beta weight blob holds a NaN or infinite value");
  }

  std::vector<Shape> output_shapes(std::span<const Shape> inputs) override {
    if (!channel_beta_.empty()) {
      for (const Shape& shape : inputs) {
        const bool fits = shape.size() >= 3 && shape[shape.size() - 3] == static_cast<std::int64_t>(channel_beta_.size());
        if (!fits)
          throw std::invalid_argument("beta has " + std::to_string(channel_beta_.size()) +
                                      " values, one per channel, but the input " + shape_text(shape) +
                                      (shape.size() >= 3 ? " has " + std::to_string(shape[shape.size() - 3]) +
                                                               " channels (axis -3)"
                                                         : " has no channel axis (rank below 3)"));
      }
    }
    return {inputs.begin(), inputs.end()};
  }

  void evaluate(std::span<const mlconv::plugin::Input> inputs, std::span<const mlconv::plugin::Output> outputs,
                const mlconv::plugin::Context& context) override {
    constexpr std::int64_t chunk = 16384;
    for (std::size_t t = 0; t < inputs.size(); ++t) {
      const float* x = inputs[t].data;
      float* y = outputs[t].data;
      const std::int64_t size = inputs[t].size;
      if (channel_beta_.empty()) {
        context.parallel_for((size + chunk - 1) / chunk, 1, [&](std::int64_t begin, std::int64_t end) {
          const std::int64_t first = begin * chunk;
          const std::int64_t last = std::min(size, end * chunk);
          swish(x + first, y + first, last - first, beta_);
        });
        continue;
      }
      // One plane of H*W values per (leading index, channel), each with its channel's beta.
      const auto& shape = inputs[t].shape;
      const std::int64_t plane = shape[shape.size() - 1] * shape[shape.size() - 2];
      const auto channels = static_cast<std::int64_t>(channel_beta_.size());
      if (plane == 0) continue;
      const std::int64_t planes = size / plane;
      context.parallel_for(planes, std::max<std::int64_t>(1, chunk / plane), [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t p = begin; p < end; ++p)
          swish(x + p * plane, y + p * plane, plane, channel_beta_[static_cast<std::size_t>(p % channels)]);
      });
    }
  }

 private:
  bool beta_is_parameter_ = false;
  float beta_ = 1.0F;
  std::vector<float> channel_beta_;  // empty: one beta for every element
};

}  // namespace

MLCONV_CUSTOM_LAYER(Swish, "Swish")
