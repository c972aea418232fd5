// Shared pieces of the indexing family (gather/scatter, sorting, NMS, random
// layers): reading float index tensors safely, scatter accumulation, and the
// registration functions of the family's other files.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "executor/kernel.h"
#include "executor/kernel_registry.h"

namespace mlconv::exec {

void register_indexing_scatter_kernels(KernelRegistry& registry);
void register_indexing_sort_kernels(KernelRegistry& registry);
void register_indexing_nms_kernels(KernelRegistry& registry);
void register_indexing_random_kernels(KernelRegistry& registry);

// "3", "-1", "2.5", "nan": how an index value reads in a message.
std::string index_text(float value);

// Resolves an index read from a float tensor against dimension `dim` of `axis`:
// throws unless it is an integer in [0, dim) (or [-dim, dim) with allow_negative,
// negative ones counting from the end). `axis` only names the axis in the message.
[[noreturn]] void throw_bad_index(float value, int axis, std::int64_t dim, bool allow_negative);
inline std::int64_t checked_index(float value, int axis, std::int64_t dim, bool allow_negative) {
  // Finite floats beyond int64 range fail the bound check before the conversion.
  const double v = value;
  const double lower = allow_negative ? -static_cast<double>(dim) : 0.0;
  if (!(v >= lower && v < static_cast<double>(dim)) || std::trunc(v) != v)
    throw_bad_index(value, axis, dim, allow_negative);
  const auto index = static_cast<std::int64_t>(v);
  return index < 0 ? index + dim : index;
}

// Every index of a tensor resolved along one axis (negative ones allowed, counting
// from the end), checked before any output is written, so a bad index leaves
// nothing half-done and the message does not depend on the thread count.
inline std::vector<std::int64_t> resolve_axis_indices(const Tensor& indices, int axis, std::int64_t dim) {
  std::vector<std::int64_t> resolved(static_cast<std::size_t>(indices.size()));
  for (std::int64_t i = 0; i < indices.size(); ++i)
    resolved[static_cast<std::size_t>(i)] = checked_index(indices.data()[i], axis, dim, true);
  return resolved;
}

// The layer needs exactly / at least / at most these many inputs and outputs;
// throws naming the counts.
void check_input_count(const Layer& layer, int min_inputs, int max_inputs);
void check_output_count(const Layer& layer, int outputs);

// A scalar parameter given as a tensor input (K of topK, depth of oneHot, NMS
// thresholds): one element, named `what` in errors.
float scalar_input(const Tensor& tensor, const char* what);
// The same, as a non-negative integer.
std::int64_t count_input(const Tensor& tensor, const char* what);

// A shape given as a float tensor (the dynamic random layers): rank 1, every
// value a non-negative integer.
Shape shape_from_tensor(const Tensor& tensor, const char* what);

// ScatterMode: how an update combines with the value already in the output.
enum class ScatterOp { update, add, sub, mul, div, max, min };
ScatterOp scatter_op_from(int mode);  // throws on an unknown enum value
inline void scatter_apply(ScatterOp op, float* out, const float* updates, std::int64_t count) {
  switch (op) {
    case ScatterOp::update: std::copy(updates, updates + count, out); break;
    case ScatterOp::add: for (std::int64_t i = 0; i < count; ++i) out[i] += updates[i]; break;
    case ScatterOp::sub: for (std::int64_t i = 0; i < count; ++i) out[i] -= updates[i]; break;
    case ScatterOp::mul: for (std::int64_t i = 0; i < count; ++i) out[i] *= updates[i]; break;
    case ScatterOp::div: for (std::int64_t i = 0; i < count; ++i) out[i] /= updates[i]; break;
    case ScatterOp::max: for (std::int64_t i = 0; i < count; ++i) out[i] = std::max(out[i], updates[i]); break;
    case ScatterOp::min: for (std::int64_t i = 0; i < count; ++i) out[i] = std::min(out[i], updates[i]); break;
  }
}

}  // namespace mlconv::exec
