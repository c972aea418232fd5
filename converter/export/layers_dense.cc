// Gemm, MatMul with a constant right-hand side, and BatchNormalization. Core ML's
// innerProduct stores W as [C_out, C_in] (y = W x + b), so ONNX's B [K, N] is
// transposed unless transB already gives [N, K]; Gemm's alpha and beta are folded
// into the stored weights and bias.
#include "converter/export/layer_mappings.h"

namespace mlconv::converter {
namespace {

std::string dims_text(const std::vector<std::int64_t>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

// [rows, cols] row-major -> [cols, rows] row-major.
std::vector<float> transposed(const std::vector<float>& values, std::int64_t rows, std::int64_t cols) {
  std::vector<float> out(values.size());
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) out[static_cast<std::size_t>(c * rows + r)] = values[static_cast<std::size_t>(r * cols + c)];
  }
  return out;
}

const std::vector<std::int64_t>& matrix_input(LayerBuilder& b) {
  const auto& a = b.shape(0);
  if (a.size() != 2) b.fail("expects a 2-D [M, K] input A; got " + dims_text(a) + " (insert a Flatten first)");
  return a;
}

void write_inner_product(LayerBuilder& b, std::int64_t in, std::int64_t out, const std::vector<float>& weights,
                         const std::vector<float>* bias) {
  auto& layer = b.add_layer("", {b.blob(0)}, {b.output_blob(0)});
  auto& dense = *layer.mutable_innerproduct();
  dense.set_inputchannels(static_cast<std::uint64_t>(in));
  dense.set_outputchannels(static_cast<std::uint64_t>(out));
  set_float_weights(*dense.mutable_weights(), weights);
  if (bias != nullptr) {
    dense.set_hasbias(true);
    set_float_weights(*dense.mutable_bias(), *bias);
  }
  b.set_output_shape(0, {b.shape(0)[0], out});
}

}  // namespace

void build_gemm_layer(LayerBuilder& b) {
  const auto& a = matrix_input(b);
  if (b.attr_int("transA", 0) != 0) b.fail("attribute 'transA'=1 (a transposed run-time input) is not supported");
  const TensorData& matrix = b.required_constant(1, "B");
  if (matrix.dims.size() != 2) b.fail("B must be 2-D; got " + dims_text(matrix.dims));
  const bool trans_b = b.attr_int("transB", 0) != 0;
  const std::int64_t k = trans_b ? matrix.dims[1] : matrix.dims[0];
  const std::int64_t n = trans_b ? matrix.dims[0] : matrix.dims[1];
  if (k != a[1]) b.fail("B " + dims_text(matrix.dims) + (trans_b ? " (transposed)" : "") + " has K=" + std::to_string(k) + "; A has K=" + std::to_string(a[1]));
  const auto alpha = static_cast<float>(b.attr_float("alpha", 1.0));
  const auto beta = static_cast<float>(b.attr_float("beta", 1.0));
  std::vector<float> weights = b.constant_floats(1, "B");
  if (!trans_b) weights = transposed(weights, k, n);
  for (float& w : weights) w *= alpha;
  if (!b.has_input(2) || beta == 0.0F) {
    write_inner_product(b, k, n, weights, nullptr);
    return;
  }
  const std::vector<float> c = b.constant_floats(2, "C");
  const std::int64_t rows_of_c = b.constant(2)->dims.size() == 2 ? b.constant(2)->dims[0] : 1;
  if (rows_of_c != 1 || (static_cast<std::int64_t>(c.size()) != n && c.size() != 1)) {
    b.fail("C " + dims_text(b.constant(2)->dims) + " must broadcast as one row of " + std::to_string(n) + " values");
  }
  std::vector<float> bias(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < bias.size(); ++i) bias[i] = beta * c[c.size() == 1 ? 0 : i];
  write_inner_product(b, k, n, weights, &bias);
}

void build_matmul_layer(LayerBuilder& b) {
  const auto& a = matrix_input(b);
  if (b.constant(1) == nullptr) {
    b.fail("B must be a constant initializer; a product of two computed tensors needs batchedMatMul (iOS 13), "
           "which this exporter does not write yet");
  }
  const TensorData& matrix = *b.constant(1);
  if (matrix.dims.size() != 2 || matrix.dims[0] != a[1]) {
    b.fail("B " + dims_text(matrix.dims) + " must be 2-D [K, N] with K=" + std::to_string(a[1]));
  }
  write_inner_product(b, matrix.dims[0], matrix.dims[1], transposed(b.constant_floats(1, "B"), matrix.dims[0], matrix.dims[1]), nullptr);
}

void build_batch_norm_layer(LayerBuilder& b) {
  const auto& x = b.shape(0);
  if (x.size() != 4 && x.size() != 2) b.fail("expects a [N, C] or [N, C, H, W] input; got " + dims_text(x));
  if (b.attr_int("training_mode", 0) != 0 || b.node().outputs.size() > 1) {
    b.fail("training mode (running mean/variance outputs) is not supported; export the model in inference mode");
  }
  const auto channels = static_cast<std::size_t>(x[1]);
  const char* roles[] = {"scale", "B", "input_mean", "input_var"};
  std::vector<std::vector<float>> params;
  for (std::size_t i = 0; i < 4; ++i) {
    params.push_back(b.constant_floats(i + 1, roles[i]));
    if (params.back().size() != channels) {
      b.fail(std::string(roles[i]) + " has " + std::to_string(params.back().size()) + " values; expected " + std::to_string(channels) + " (one per channel)");
    }
  }
  auto& layer = b.add_layer("", {b.blob(0)}, {b.output_blob(0)});
  auto& norm = *layer.mutable_batchnorm();
  norm.set_channels(channels);
  norm.set_epsilon(static_cast<float>(b.attr_float("epsilon", 1e-5)));
  set_float_weights(*norm.mutable_gamma(), params[0]);
  set_float_weights(*norm.mutable_beta(), params[1]);
  set_float_weights(*norm.mutable_mean(), params[2]);
  set_float_weights(*norm.mutable_variance(), params[3]);
  b.set_output_shape(0, x);
}

}  // namespace mlconv::converter
