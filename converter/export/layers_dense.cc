// Gemm, MatMul with a constant right-hand side, and BatchNormalization. Core ML's
// innerProduct stores W as [C_out, C_in] (y = W x + b), so ONNX's B [K, N] is
// transposed unless transB already gives [N, K]; Gemm's alpha and beta are folded
// into the stored weights and bias.
#include <algorithm>
#include <cstring>
#include <limits>

#include "converter/export/layer_mappings.h"

namespace mlconv::converter {
namespace {

std::string dims_text(const std::vector<std::int64_t>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

// Tile edge for the transpose: two 32x32 float tiles stay in L1 while one is read by
// rows and the other written by rows, instead of striding through the whole matrix.
constexpr std::int64_t transpose_tile = 32;

// Writes `source` (float32 bytes, [rows, cols] row-major) into `out` as [cols, rows].
// Elements are loaded with memcpy: the bytes belong to a std::string, not to floats.
void transpose_into(const char* source, std::int64_t rows, std::int64_t cols, float* out) {
  for (std::int64_t r0 = 0; r0 < rows; r0 += transpose_tile) {
    const std::int64_t r_end = std::min(rows, r0 + transpose_tile);
    for (std::int64_t c0 = 0; c0 < cols; c0 += transpose_tile) {
      const std::int64_t c_end = std::min(cols, c0 + transpose_tile);
      for (std::int64_t r = r0; r < r_end; ++r) {
        for (std::int64_t c = c0; c < c_end; ++c) {
          std::memcpy(&out[c * rows + r], source + static_cast<std::size_t>(r * cols + c) * sizeof(float), sizeof(float));
        }
      }
    }
  }
}

// The float32 bytes of a weight matrix: the graph constant's own bytes when it is float32
// already (no copy), else its values converted to float (rare for weights).
struct MatrixBytes {
  const char* bytes = nullptr;
  std::size_t count = 0;
  std::vector<float> converted;
  const TensorData* exact = nullptr;  // the constant, when `bytes` are its own
};

// Reads constant input `index` as a [rows, cols] float matrix; fails like constant_floats.
MatrixBytes matrix_bytes(const LayerBuilder& b, std::size_t index, std::string_view role, std::int64_t rows, std::int64_t cols) {
  const TensorData& data = b.required_constant(index, role);
  MatrixBytes matrix;
  matrix.count = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  if (data.type == ElementType::float32 && data.bytes.size() == matrix.count * sizeof(float)) {
    matrix.bytes = data.bytes.data();
    matrix.exact = &data;
  } else {
    matrix.converted = b.constant_floats(index, role);
    matrix.bytes = reinterpret_cast<const char*>(matrix.converted.data());
  }
  if (matrix.count > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    b.fail(std::string(role) + " has " + std::to_string(matrix.count) + " values; a Core ML weight field holds at most " +
           std::to_string(std::numeric_limits<int>::max()));
  }
  return matrix;
}

// Writes the matrix straight into the layer's WeightParams, transposed to [cols, rows]
// when asked and scaled by `scale`: one pass from the graph's bytes to the protobuf field,
// or none when the bytes go in as they are and the network defers mapped weights.
void store_matrix(const LayerBuilder& b, const MatrixBytes& matrix, std::int64_t rows, std::int64_t cols, bool transpose,
                  float scale, cml::WeightParams& params) {
  if (!transpose && scale == 1.0F && matrix.exact != nullptr && defer_mapped_float32(b.network_deferred(), *matrix.exact, params)) return;
  float* out = float_weights_to_fill(params, matrix.count);
  if (transpose) {
    transpose_into(matrix.bytes, rows, cols, out);
  } else if (matrix.count != 0) {
    std::memcpy(out, matrix.bytes, matrix.count * sizeof(float));
  }
  // Multiplying by 1 would change nothing but a signalling NaN's bits; skip the pass.
  if (scale != 1.0F) {
    for (std::size_t i = 0; i < matrix.count; ++i) out[i] *= scale;
  }
}

const std::vector<std::int64_t>& matrix_input(LayerBuilder& b) {
  const auto& a = b.shape(0);
  if (a.size() != 2) b.fail("expects a 2-D [M, K] input A; got " + dims_text(a) + " (insert a Flatten first)");
  return a;
}

// An innerProduct layer of `in` -> `out` channels; the caller fills its weights (and bias).
cml::InnerProductLayerParams& add_inner_product(LayerBuilder& b, std::int64_t in, std::int64_t out) {
  auto& layer = b.add_layer("", {b.blob(0)}, {b.output_blob(0)});
  auto& dense = *layer.mutable_innerproduct();
  dense.set_inputchannels(static_cast<std::uint64_t>(in));
  dense.set_outputchannels(static_cast<std::uint64_t>(out));
  b.set_output_shape(0, {b.shape(0)[0], out});
  return dense;
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
  // B is [N, K] with transB (Core ML's layout already), [K, N] without.
  const MatrixBytes weights = matrix_bytes(b, 1, "B", trans_b ? n : k, trans_b ? k : n);
  const bool has_bias = b.has_input(2) && beta != 0.0F;
  // C is checked before the layer is added, so a bad C leaves no half-written layer behind.
  std::vector<float> bias;
  if (has_bias) {
    const std::vector<float> c = b.constant_floats(2, "C");
    const std::int64_t rows_of_c = b.constant(2)->dims.size() == 2 ? b.constant(2)->dims[0] : 1;
    if (rows_of_c != 1 || (static_cast<std::int64_t>(c.size()) != n && c.size() != 1)) {
      b.fail("C " + dims_text(b.constant(2)->dims) + " must broadcast as one row of " + std::to_string(n) + " values");
    }
    bias.resize(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < bias.size(); ++i) bias[i] = beta * c[c.size() == 1 ? 0 : i];
  }
  auto& dense = add_inner_product(b, k, n);
  store_matrix(b, weights, trans_b ? n : k, trans_b ? k : n, !trans_b, alpha, *dense.mutable_weights());
  if (has_bias) {
    dense.set_hasbias(true);
    set_float_weights(*dense.mutable_bias(), bias);
  }
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
  const MatrixBytes weights = matrix_bytes(b, 1, "B", matrix.dims[0], matrix.dims[1]);
  auto& dense = add_inner_product(b, matrix.dims[0], matrix.dims[1]);
  store_matrix(b, weights, matrix.dims[0], matrix.dims[1], true, 1.0F, *dense.mutable_weights());
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
