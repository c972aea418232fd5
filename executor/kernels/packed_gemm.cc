// Eigen's GEMM works column-major: a row-major product C = A * B is the
// column-major C^T = B^T * A^T. So the weights A (rows x depth, row-major) are
// Eigen's right-hand operand, depth x rows column-major, packed by its
// gemm_pack_rhs; B is the left-hand one, packed per call by gemm_pack_lhs; and
// gebp_kernel multiplies the two panels into C, exactly the calls
// general_matrix_matrix_product makes, minus its per-call packing of A.
#include "executor/kernels/packed_gemm.h"

#include <algorithm>

#include <Eigen/Core>

#include "executor/kernels/activation_function.h"

namespace mlconv::exec {

namespace {

using Index = Eigen::Index;
using Traits = Eigen::internal::gebp_traits<float, float>;
using OperandMapper = Eigen::internal::const_blas_data_mapper<float, Index, Eigen::ColMajor>;
using ResultMapper = Eigen::internal::blas_data_mapper<float, Index, Eigen::ColMajor, Eigen::Unaligned, 1>;

// The largest depth kept as one block, and the block aimed at beyond it. Eigen's own
// heuristic picks 500-600 for a 48 KiB L1 and 1 MiB L2; 256-320 runs as fast on the bench
// shapes and lets one run of 48 columns of B (the kernel's unit) fit a 64 KiB buffer.
constexpr std::int64_t single_block_depth = 320;
constexpr std::int64_t target_block_depth = 256;
// The weights one call of the kernel streams: a quarter of a 1 MiB L2 (Eigen aims at about that).
constexpr std::int64_t l2_panel_floats = std::int64_t{1} << 16;
// B's packed block lives on the stack, as Eigen's does: on the heap, each worker thread's
// malloc arena would keep its largest. Touched stack pages stay with the thread too, so
// the buffer is kept small: single_block_depth x 48 floats fit.
constexpr std::int64_t stack_scratch_floats = std::int64_t{1} << 14;

}  // namespace

AlignedFloats::AlignedFloats(std::int64_t count)
    : data_(static_cast<float*>(::operator new[](static_cast<std::size_t>(std::max<std::int64_t>(count, 1)) * sizeof(float),
                                                 std::align_val_t{64}))) {}

std::int64_t PackedMatrix::row_alignment() { return Traits::nr; }

std::int64_t PackedMatrix::depth_block() const {
  if (depth_ <= single_block_depth) return std::max<std::int64_t>(depth_, 1);
  const std::int64_t blocks = (depth_ + target_block_depth - 1) / target_block_depth;
  return ((depth_ + blocks - 1) / blocks + 7) / 8 * 8;
}

PackedMatrix::PackedMatrix(const float* a, std::int64_t rows, std::int64_t depth, std::int64_t lda)
    : data_(rows * depth), rows_(rows), depth_(depth) {
  Eigen::internal::gemm_pack_rhs<float, Index, OperandMapper, Traits::nr, Eigen::ColMajor> pack;
  const std::int64_t block = depth_block();
  // Block k0 holds rows x kb values from offset k0 * rows; within it, row r's panel starts at r * kb.
  for (std::int64_t k0 = 0; k0 < depth; k0 += block) {
    const std::int64_t kb = std::min(block, depth - k0);
    pack(data_.data() + k0 * rows, OperandMapper(a + k0, lda), kb, rows);
  }
}

PackedMatrix::PackedMatrix(std::int64_t rows, std::int64_t depth) : data_(rows * depth), rows_(rows), depth_(depth) {}

void PackedMatrix::unpack(float* a) const {
  // gemm_pack_rhs's layout, per depth block: panels of nr rows, each holding the nr values
  // of one depth index side by side, then the rows past the last whole panel one by one.
  const std::int64_t nr = row_alignment();
  const std::int64_t whole = rows_ / nr * nr;
  const std::int64_t block = depth_block();
  for (std::int64_t k0 = 0; k0 < depth_; k0 += block) {
    const std::int64_t kb = std::min(block, depth_ - k0);
    const float* packed = data_.data() + k0 * rows_;
    for (std::int64_t r = 0; r < rows_; ++r) {
      const std::int64_t width = r < whole ? nr : 1;  // values side by side in r's panel
      const float* panel = packed + (r - r % width) * kb;
      for (std::int64_t k = 0; k < kb; ++k) a[r * depth_ + k0 + k] = panel[k * width + r % width];
    }
  }
}

void multiply_packed(const PackedMatrix& a, std::int64_t row_begin, std::int64_t row_end, const float* b, std::int64_t ldb,
                     std::int64_t columns, const float* bias, const ActivationFunction* activation, float* c,
                     std::int64_t ldc) {
  if (row_end <= row_begin || columns <= 0) return;
  Eigen::internal::gemm_pack_lhs<float, Index, OperandMapper, Traits::mr, Traits::LhsProgress,
                                 typename Traits::LhsPacket4Packing, Eigen::ColMajor>
      pack;
  Eigen::internal::gebp_kernel<float, float, Index, ResultMapper, Traits::mr, Traits::nr, false, false> gebp;
  const std::int64_t nr = PackedMatrix::row_alignment();
  const std::int64_t block = a.depth_block();
  const std::int64_t first_kb = std::min(block, a.depth_);
  // B's columns go in chunks: all of them when their packed block fits the stack buffer,
  // else runs of the kernel's Traits::mr columns filling half of it. Each chunk streams every
  // weight panel again, so 49 columns (7x7) must not become 48 + 1; and each thread keeps
  // the stack pages it touched, so chunks stay small when they can.
  alignas(64) float packed_b[stack_scratch_floats];
  const std::int64_t chunk =
      columns * first_kb <= stack_scratch_floats
          ? columns
          : std::max<std::int64_t>(Traits::mr, stack_scratch_floats / 2 / first_kb / Traits::mr * Traits::mr);
  // Rows go in groups whose weight panels fit in L2, since the kernel streams them once per run of B.
  const std::int64_t group = std::max<std::int64_t>(nr, l2_panel_floats / first_kb / nr * nr);
  for (std::int64_t c0 = 0; c0 < columns; c0 += chunk) {
    const std::int64_t width = std::min(chunk, columns - c0);
    for (std::int64_t r = row_begin; r < row_end; ++r)
      std::fill_n(c + (r - row_begin) * ldc + c0, width, bias == nullptr ? 0.0F : bias[r - row_begin]);
    for (std::int64_t k0 = 0; k0 < a.depth_; k0 += block) {
      const std::int64_t kb = std::min(block, a.depth_ - k0);
      const bool last = k0 + kb == a.depth_;
      pack(packed_b, OperandMapper(b + k0 * ldb + c0, ldb), kb, width);
      for (std::int64_t r0 = row_begin; r0 < row_end; r0 += group) {
        const std::int64_t r1 = std::min(row_end, r0 + group);
        float* c_block = c + (r0 - row_begin) * ldc + c0;
        gebp(ResultMapper(c_block, ldc), packed_b, a.data_.data() + k0 * a.rows_ + r0 * kb, width, kb, r1 - r0, 1.0F);
        // The block is still in cache: finish it now rather than in a pass over all of C.
        if (last && activation != nullptr)
          for (std::int64_t r = 0; r < r1 - r0; ++r) activation->apply_in_place(c_block + r * ldc, width);
      }
    }
  }
}

}  // namespace mlconv::exec
