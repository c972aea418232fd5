// multiply_packed (packed_gemm.cc) against a product summed in double here, on
// shapes that reach the edges of its blocking: row counts that are not a multiple
// of the kernel's panel, depths cut into 2 and 3 blocks, column counts that need
// several chunks, sub-ranges of rows, strided operands, bias and an activation.
// The tolerance scales with sum |a| |b| per output, i.e. float rounding only.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "executor/kernels/activation_function.h"
#include "executor/kernels/packed_gemm.h"
#include "tests/executor/kernels/patterns.h"

namespace mlconv::exec {
namespace {

ActivationFunction relu() {
  Layer layer;
  layer.mutable_activation()->mutable_relu();
  return *ActivationFunction::of(layer);
}

struct Case {
  std::int64_t rows, depth, columns, row_begin, row_end;
  bool with_bias, with_relu;
};

void check(const Case& t) {
  CAPTURE(t.rows);
  CAPTURE(t.depth);
  CAPTURE(t.columns);
  CAPTURE(t.row_begin);
  CAPTURE(t.row_end);
  // Strided operands: a's rows, b's rows and c's rows are all longer than what is used.
  const std::int64_t lda = t.depth + 3;
  const std::int64_t ldb = t.columns + 5;
  const std::int64_t ldc = t.columns + 7;
  const std::vector<float> a = testing::lcg_values(t.rows * lda, 11);
  const std::vector<float> b = testing::lcg_values(t.depth * ldb, 23);
  const std::vector<float> bias = testing::lcg_values(t.rows, 37);
  const PackedMatrix packed(a.data(), t.rows, t.depth, lda);
  CHECK(packed.rows() == t.rows);
  CHECK(packed.depth() == t.depth);

  const std::int64_t out_rows = t.row_end - t.row_begin;
  constexpr float untouched = 1234.5F;
  std::vector<float> c(static_cast<std::size_t>(out_rows * ldc), untouched);
  const ActivationFunction activation = relu();
  multiply_packed(packed, t.row_begin, t.row_end, b.data(), ldb, t.columns,
                  t.with_bias ? bias.data() + t.row_begin : nullptr, t.with_relu ? &activation : nullptr, c.data(), ldc);

  int bad = 0;
  for (std::int64_t r = 0; r < out_rows; ++r) {
    const std::int64_t row = t.row_begin + r;
    for (std::int64_t j = 0; j < ldc; ++j) {
      const float got = c[static_cast<std::size_t>(r * ldc + j)];
      if (j >= t.columns) {
        if (got != untouched && ++bad <= 3) FAIL_CHECK("padding of row " << r << " column " << j << " was written");
        continue;
      }
      double sum = t.with_bias ? bias[static_cast<std::size_t>(row)] : 0.0;
      double magnitude = std::fabs(sum);
      for (std::int64_t k = 0; k < t.depth; ++k) {
        const double product = static_cast<double>(a[static_cast<std::size_t>(row * lda + k)]) *
                               b[static_cast<std::size_t>(k * ldb + j)];
        sum += product;
        magnitude += std::fabs(product);
      }
      if (t.with_relu) sum = std::max(sum, 0.0);
      if (std::fabs(got - sum) > 1e-6 * magnitude + 1e-6 && ++bad <= 3)
        FAIL_CHECK("c[" << r << ", " << j << "] = " << got << "; expected " << sum);
    }
  }
  CHECK(bad == 0);
}

TEST_CASE("multiply_packed: whole products, with and without bias and activation") {
  for (const Case& t : {Case{1, 1, 1, 0, 1, false, false}, Case{4, 27, 12, 0, 4, true, true},
                        Case{37, 27, 130, 0, 37, true, false}, Case{32, 64, 49, 0, 32, false, true},
                        Case{70, 100, 200, 0, 70, true, true}})
    check(t);
}

TEST_CASE("multiply_packed: depths cut into several blocks") {
  // Above 320 the depth is packed in equal blocks of at most 256 (rounded up to 8): 3, 6 and 4 blocks.
  for (const Case& t : {Case{20, 700, 49, 0, 20, true, true}, Case{9, 1300, 33, 0, 9, true, false},
                        Case{12, 1024, 196, 0, 12, false, false}})
    check(t);
}

TEST_CASE("multiply_packed: more columns than one chunk of packed B holds") {
  // Beyond what the stack buffer holds, columns go 48 at a time, and a last short chunk.
  for (const Case& t : {Case{8, 600, 1000, 0, 8, true, true}, Case{5, 300, 3000, 0, 5, true, false}})
    check(t);
}

TEST_CASE("multiply_packed: row ranges of the packed matrix") {
  const std::int64_t step = PackedMatrix::row_alignment();
  // Aligned starts, ends at an aligned row or at the last row (which need not be aligned).
  for (const Case& t : {Case{37, 50, 60, step, 3 * step, true, true}, Case{37, 50, 60, 2 * step, 37, true, false},
                        Case{300, 700, 20, 4 * step, 300, false, true}, Case{300, 700, 20, 0, 8 * step, true, true}})
    check(t);
}

TEST_CASE("PackedMatrix::unpack gives back the plain matrix; values() sums are packed sums") {
  for (const auto& shape : {std::pair<std::int64_t, std::int64_t>{1, 1}, {7, 27}, {37, 700}, {64, 1300}}) {
    const std::int64_t rows = shape.first;
    const std::int64_t depth = shape.second;
    CAPTURE(rows);
    CAPTURE(depth);
    const std::vector<float> a = testing::lcg_values(rows * depth, 5);
    const std::vector<float> b = testing::lcg_values(rows * depth, 6);
    const PackedMatrix pa(a.data(), rows, depth, depth);
    const PackedMatrix pb(b.data(), rows, depth, depth);
    std::vector<float> back(a.size());
    pa.unpack(back.data());
    CHECK(back == a);
    PackedMatrix sum(rows, depth);
    for (std::int64_t i = 0; i < rows * depth; ++i) sum.values()[i] = pa.values()[i] + pb.values()[i];
    sum.unpack(back.data());
    int bad = 0;
    for (std::size_t i = 0; i < a.size(); ++i) bad += back[i] != a[i] + b[i];
    CHECK(bad == 0);
  }
}

}  // namespace
}  // namespace mlconv::exec
