// Kernels of the dense family: innerProduct, batchedMatmul (weights or two
// inputs, NumPy batch broadcasting), embedding and embeddingND. Products are
// single-threaded Eigen GEMMs on disjoint blocks of the output.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "executor/kernel_registry.h"
#include "executor/kernels/activation_function.h"
#include "executor/kernels/common.h"
#include "executor/layer_weights.h"
#include "spec/error.h"

namespace mlconv::exec {

namespace {

namespace pb = CoreML::Specification;

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMatrixMap = Eigen::Map<const RowMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;
using MatrixMap = Eigen::Map<RowMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;

std::string str(std::int64_t v) { return std::to_string(v); }

// y[M, N] = x[M, K] * w[N, K]^T (+ bias), split into column blocks when M is
// small (one sample) and into row blocks otherwise, so any shape spreads over the pool.
void matmul_weights_transposed(const float* x, const float* w, const std::vector<float>& bias, float* y,
                               std::int64_t m, std::int64_t k, std::int64_t n, ThreadPool& pool,
                               const ActivationFunction* activation = nullptr) {
  const bool by_columns = m < 4 * pool.size();
  const std::int64_t count = by_columns ? n : m;
  const std::int64_t min_chunk = by_columns ? 64 : 4;
  pool.parallel_for(count, min_chunk, [&](std::int64_t begin, std::int64_t end) {
    const std::int64_t r0 = by_columns ? 0 : begin;
    const std::int64_t rows = by_columns ? m : end - begin;
    const std::int64_t c0 = by_columns ? begin : 0;
    const std::int64_t cols = by_columns ? end - begin : n;
    const ConstMatrixMap xs(x + r0 * k, rows, k, Eigen::OuterStride<>(k));
    const ConstMatrixMap ws(w + c0 * k, cols, k, Eigen::OuterStride<>(k));
    MatrixMap ys(y + r0 * n + c0, rows, cols, Eigen::OuterStride<>(n));
    ys.noalias() = xs * ws.transpose();
    if (!bias.empty()) {
      const Eigen::Map<const Eigen::RowVectorXf> b(bias.data() + c0, cols);
      ys.rowwise() += b;
    }
    if (activation != nullptr)
      for (Eigen::Index r = 0; r < ys.rows(); ++r) activation->apply_in_place(ys.row(r).data(), ys.cols());
  });
}

class InnerProduct final : public Kernel {
 public:
  InnerProduct(const Layer& layer, const BuildContext& /*ctx*/) {
    const pb::InnerProductLayerParams& p = layer.innerproduct();
    in_ = static_cast<std::int64_t>(p.inputchannels());
    out_ = static_cast<std::int64_t>(p.outputchannels());
    if (in_ <= 0 || out_ <= 0) throw Error("inputChannels and outputChannels must be positive; got " + str(in_) + " and " + str(out_));
    const LayerWeights weights(layer);
    // int8DynamicQuantize only changes how Core ML computes; the int8 weights decode to the same floats.
    weights_ = weights.get("weights", in_ * out_);
    if (p.hasbias()) bias_ = weights.get("bias", out_);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& x = *inputs[0];
    const Shape& s = x.shape();
    std::int64_t rows = 0;
    std::int64_t features = 0;
    Shape out_shape;
    switch (x.rank()) {
      case 1: rows = 1, features = s[0], out_shape = {out_}; break;
      case 2: rows = s[0], features = s[1], out_shape = {s[0], out_}; break;
      case 3: rows = s[0] * s[1], features = s[2], out_shape = {s[0], s[1], out_}; break;
      case 4: rows = s[0], features = s[1] * s[2] * s[3], out_shape = {s[0], out_, 1, 1}; break;
      case 5: rows = s[0] * s[1], features = s[2] * s[3] * s[4], out_shape = {s[0], s[1], out_, 1, 1}; break;
      default: throw Error("needs an input of rank 1 to 5; got " + shape_to_string(s));
    }
    if (features != in_)
      throw Error("input " + shape_to_string(s) + " gives " + str(features) + " features per row; inputChannels is " + str(in_));
    Tensor& y = *outputs[0];
    y.resize(out_shape);
    matmul_weights_transposed(x.data(), weights_.data(), bias_, y.data(), rows, in_, out_, *ctx.pool,
                              activation_ ? &*activation_ : nullptr);
  }

  bool fuse_activation(const ActivationFunction* activation) override {
    activation_.reset();
    if (activation != nullptr) activation_ = *activation;
    return true;
  }

 private:
  std::int64_t in_ = 0;
  std::int64_t out_ = 0;
  std::vector<float> weights_;  // [C_out, C_in]
  std::vector<float> bias_;
  std::optional<ActivationFunction> activation_;  // the next layer's, when fused
};

class BatchedMatMul final : public Kernel {
 public:
  BatchedMatMul(const Layer& layer, const BuildContext& /*ctx*/) {
    const pb::BatchedMatMulLayerParams& p = layer.batchedmatmul();
    if (layer.input_size() < 1 || layer.input_size() > 2) throw Error("takes 1 or 2 inputs; got " + str(layer.input_size()));
    transpose_a_ = p.transposea();
    transpose_b_ = p.transposeb();
    if (layer.input_size() == 2) return;
    rows_ = static_cast<std::int64_t>(p.weightmatrixfirstdimension());
    cols_ = static_cast<std::int64_t>(p.weightmatrixseconddimension());
    if (rows_ <= 0 || cols_ <= 0)
      throw Error("with one input, weightMatrixFirstDimension and weightMatrixSecondDimension must be positive; got " +
                  str(rows_) + " and " + str(cols_));
    const LayerWeights weights(layer);
    // The [X1, X2] matrix is stored column-major, i.e. as [X2, X1] row-major.
    weights_ = weights.get("weights", rows_ * cols_);
    if (p.hasbias()) bias_ = weights.get("bias", cols_);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    if (inputs.size() == 1) {
      run_with_weights(*inputs[0], *outputs[0], *ctx.pool);
    } else {
      run_two_inputs(*inputs[0], *inputs[1], *outputs[0], *ctx.pool);
    }
  }

 private:
  void run_with_weights(const Tensor& a, Tensor& y, ThreadPool& pool) const {
    if (a.rank() < 1 || a.dim(-1) != rows_)
      throw Error("input " + shape_to_string(a.shape()) + " must end in weightMatrixFirstDimension " + str(rows_));
    Shape out_shape = a.shape();
    out_shape.back() = cols_;
    y.resize(out_shape);
    matmul_weights_transposed(a.data(), weights_.data(), bias_, y.data(), a.size() / rows_, rows_, cols_, pool);
  }

  void run_two_inputs(const Tensor& a, const Tensor& b, Tensor& y, ThreadPool& pool) const {
    if (a.rank() < 1 || b.rank() < 1) throw Error("inputs must have rank >= 1");
    Shape sa = a.shape();
    Shape sb = b.shape();
    if (sa.size() == 1) sa.insert(sa.begin(), 1);
    if (sb.size() == 1) sb.push_back(1);
    const std::int64_t a_rows = sa[sa.size() - 2];
    const std::int64_t a_cols = sa.back();
    const std::int64_t b_rows = sb[sb.size() - 2];
    const std::int64_t b_cols = sb.back();
    const std::int64_t m = transpose_a_ ? a_cols : a_rows;
    const std::int64_t k = transpose_a_ ? a_rows : a_cols;
    const std::int64_t kb = transpose_b_ ? b_cols : b_rows;
    const std::int64_t n = transpose_b_ ? b_rows : b_cols;
    if (k != kb)
      throw Error("inner dimensions differ: " + shape_to_string(a.shape()) + (transpose_a_ ? " (transposed)" : "") + " times " +
                  shape_to_string(b.shape()) + (transpose_b_ ? " (transposed)" : "") + " multiplies " + str(k) +
                  " by " + str(kb));
    const Shape batch_a(sa.begin(), sa.end() - 2);
    const Shape batch_b(sb.begin(), sb.end() - 2);
    const Shape batch = broadcast_shapes(batch_a, batch_b);
    const auto stride_a = broadcast_strides(batch_a, batch);
    const auto stride_b = broadcast_strides(batch_b, batch);
    Shape out_shape = batch;
    out_shape.push_back(m);
    out_shape.push_back(n);
    y.resize(out_shape);
    const std::int64_t batches = element_count(batch);
    const std::int64_t a_size = a_rows * a_cols;
    const std::int64_t b_size = b_rows * b_cols;
    const std::int64_t row_block = std::max<std::int64_t>(1, std::min<std::int64_t>(m, 4096 / std::max<std::int64_t>(k, 1)));
    const std::int64_t blocks = (m + row_block - 1) / row_block;
    pool.parallel_for(batches * blocks, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t task = begin; task < end; ++task) {
        const std::int64_t bi = task / blocks;
        const std::int64_t r0 = (task % blocks) * row_block;
        const std::int64_t rows = std::min(m, r0 + row_block) - r0;
        std::int64_t oa = 0;
        std::int64_t ob = 0;
        for (std::size_t axis = batch.size(), rest = static_cast<std::size_t>(bi); axis-- > 0;) {
          const auto idx = static_cast<std::int64_t>(rest % static_cast<std::size_t>(batch[axis]));
          rest /= static_cast<std::size_t>(batch[axis]);
          oa += idx * stride_a[axis];
          ob += idx * stride_b[axis];
        }
        const ConstMatrixMap am(a.data() + oa * a_size, a_rows, a_cols, Eigen::OuterStride<>(a_cols));
        const ConstMatrixMap bm(b.data() + ob * b_size, b_rows, b_cols, Eigen::OuterStride<>(b_cols));
        MatrixMap ym(y.data() + bi * m * n + r0 * n, rows, n, Eigen::OuterStride<>(n));
        if (transpose_a_ && transpose_b_) {
          ym.noalias() = am.transpose().middleRows(r0, rows) * bm.transpose();
        } else if (transpose_a_) {
          ym.noalias() = am.transpose().middleRows(r0, rows) * bm;
        } else if (transpose_b_) {
          ym.noalias() = am.middleRows(r0, rows) * bm.transpose();
        } else {
          ym.noalias() = am.middleRows(r0, rows) * bm;
        }
      }
    });
  }

  bool transpose_a_ = false;
  bool transpose_b_ = false;
  std::int64_t rows_ = 0;  // X1
  std::int64_t cols_ = 0;  // X2
  std::vector<float> weights_;
  std::vector<float> bias_;
};

// The row of an index value, which must be a whole number in [0, size).
std::int64_t lookup_index(float value, std::int64_t size, const char* size_name) {
  if (!(value >= 0.0F) || value >= static_cast<float>(size) || std::floor(value) != value)
    throw Error("index " + std::to_string(value) + " is not a whole number in [0, " + str(size - 1) + "] (" + size_name + " " +
                str(size) + ")");
  return static_cast<std::int64_t>(value);
}

// Weights stored [outputs, vocabulary] and turned into rows per index, plus the bias.
std::vector<float> lookup_table(const std::vector<float>& w, std::int64_t outputs, std::int64_t vocabulary,
                                const std::vector<float>& bias) {
  std::vector<float> table(w.size());
  for (std::int64_t o = 0; o < outputs; ++o)
    for (std::int64_t v = 0; v < vocabulary; ++v)
      table[static_cast<std::size_t>(v * outputs + o)] =
          w[static_cast<std::size_t>(o * vocabulary + v)] + (bias.empty() ? 0.0F : bias[static_cast<std::size_t>(o)]);
  return table;
}

class Embedding final : public Kernel {
 public:
  Embedding(const Layer& layer, const BuildContext& /*ctx*/) {
    const pb::EmbeddingLayerParams& p = layer.embedding();
    vocabulary_ = static_cast<std::int64_t>(p.inputdim());
    outputs_ = static_cast<std::int64_t>(p.outputchannels());
    if (vocabulary_ <= 0 || outputs_ <= 0)
      throw Error("inputDim and outputChannels must be positive; got " + str(vocabulary_) + " and " + str(outputs_));
    const LayerWeights weights(layer);
    const std::vector<float> bias = p.hasbias() ? weights.get("bias", outputs_) : std::vector<float>{};
    table_ = lookup_table(weights.get("weights", outputs_ * vocabulary_), outputs_, vocabulary_, bias);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& /*ctx*/) override {
    const Tensor& x = *inputs[0];
    const ChwView v = chw_view(x.shape());
    if (x.rank() < 3 || v.channels != 1 || v.height != 1 || v.width != 1)
      throw Error("needs an input [..., 1, 1, 1] of indices; got " + shape_to_string(x.shape()));
    Tensor& y = *outputs[0];
    y.resize(chw_shape(v.leading, outputs_, 1, 1));
    for (std::int64_t i = 0; i < x.size(); ++i) {
      const std::int64_t row = lookup_index(x.data()[i], vocabulary_, "inputDim");
      std::copy_n(table_.data() + row * outputs_, outputs_, y.data() + i * outputs_);
    }
  }

 private:
  std::int64_t vocabulary_ = 0;
  std::int64_t outputs_ = 0;
  std::vector<float> table_;  // [vocabulary, outputs], bias included
};

class EmbeddingND final : public Kernel {
 public:
  EmbeddingND(const Layer& layer, const BuildContext& /*ctx*/) {
    const pb::EmbeddingNDLayerParams& p = layer.embeddingnd();
    vocabulary_ = static_cast<std::int64_t>(p.vocabsize());
    outputs_ = static_cast<std::int64_t>(p.embeddingsize());
    if (vocabulary_ <= 0 || outputs_ <= 0)
      throw Error("vocabSize and embeddingSize must be positive; got " + str(vocabulary_) + " and " + str(outputs_));
    const LayerWeights weights(layer);
    const std::vector<float> bias = p.hasbias() ? weights.get("bias", outputs_) : std::vector<float>{};
    table_ = lookup_table(weights.get("weights", outputs_ * vocabulary_), outputs_, vocabulary_, bias);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& /*ctx*/) override {
    const Tensor& x = *inputs[0];
    if (x.rank() < 1 || x.dim(-1) != 1)
      throw Error("needs an input of indices whose last axis is 1; got " + shape_to_string(x.shape()));
    Shape shape = x.shape();
    shape.back() = outputs_;
    Tensor& y = *outputs[0];
    y.resize(shape);
    for (std::int64_t i = 0; i < x.size(); ++i) {
      const std::int64_t row = lookup_index(x.data()[i], vocabulary_, "vocabSize");
      std::copy_n(table_.data() + row * outputs_, outputs_, y.data() + i * outputs_);
    }
  }

 private:
  std::int64_t vocabulary_ = 0;
  std::int64_t outputs_ = 0;
  std::vector<float> table_;
};

template <typename K>
std::unique_ptr<Kernel> make(const Layer& layer, const BuildContext& ctx) {
  return std::make_unique<K>(layer, ctx);
}

}  // namespace

void register_dense_kernels(KernelRegistry& registry) {
  registry.add(Layer::kInnerProduct, make<InnerProduct>);
  registry.add(Layer::kBatchedMatmul, make<BatchedMatMul>);
  registry.add(Layer::kEmbedding, make<Embedding>);
  registry.add(Layer::kEmbeddingND, make<EmbeddingND>);
}

}  // namespace mlconv::exec
