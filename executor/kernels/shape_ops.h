// Shared pieces of the shape family (shape*.cc): layer arity checks, integer
// arguments read from float tensors, and one strided-gather copy primitive
// that transpose, broadcast, tile, slice, reverse, split and sliding windows
// are all expressed with.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "executor/kernel.h"
#include "executor/kernel_registry.h"

namespace mlconv::exec::shape {

// The other files of the family, called from register_shape_kernels.
void register_nd_kernels(KernelRegistry& registry);
void register_slice_kernels(KernelRegistry& registry);
void register_fill_kernels(KernelRegistry& registry);

template <typename K>
std::unique_ptr<Kernel> make(const Layer& layer, const BuildContext& ctx) {
  return std::make_unique<K>(layer, ctx);
}

// Throws unless the layer has between min and max inputs and outputs (max < 0: unbounded).
void expect_inputs(const Layer& layer, int min_count, int max_count);
void expect_outputs(const Layer& layer, int min_count, int max_count);

// Values of a tensor that carries integers as floats (dynamic shapes, indices);
// throws naming `what` when one is not finite or not integral.
std::vector<std::int64_t> read_integers(const Tensor& tensor, std::string_view what);
// The one value of a tensor of size 1.
std::int64_t read_scalar_integer(const Tensor& tensor, std::string_view what);
double read_scalar(const Tensor& tensor, std::string_view what);
// A shape from a rank-1 tensor of positive integral dimensions.
Shape read_shape(const Tensor& tensor, std::string_view what);

// Throws unless every dimension of a shape computed from parameters is positive
// (Core ML arrays have no empty dimensions).
void expect_non_empty(const Shape& shape, std::string_view what);

std::string to_string(std::span<const std::int64_t> values);
// A number as a person writes it: 2.5, -10.4, 1e+10.
std::string number_text(double value);

// Writes out[i0, .., ik] = in[base + sum(ij * strides[j])] for every index of
// `view` in row-major order, i.e. fills `out` contiguously. Strides may be
// zero (broadcast) or negative (reversal). Rows run in parallel when large.
void gather(const float* in, std::int64_t base, const Shape& view, std::span<const std::int64_t> strides, float* out,
            ThreadPool& pool);

// out = in transposed: out.shape[i] = in.shape[perm[i]]. Resizes out.
void transpose(const Tensor& in, std::span<const int> perm, Tensor& out, ThreadPool& pool);

// numpy.broadcast_to(in, target); throws when `in` does not broadcast to exactly `target`.
void broadcast_to(const Tensor& in, const Shape& target, Tensor& out, ThreadPool& pool);

// Concatenation of same-rank inputs along `axis` (already normalized), or
// interleaving along it (inputs of identical shape). Resizes out.
void concat(std::span<const Tensor* const> inputs, int axis, bool interleave, Tensor& out, ThreadPool& pool);

// Splits along `axis` into pieces of the given sizes (summing to the axis length).
void split(const Tensor& in, int axis, std::span<const std::int64_t> sizes, std::span<Tensor* const> outputs,
           ThreadPool& pool);

// out = in with a new shape (same element count), a contiguous copy.
void copy_reshaped(const Tensor& in, Shape shape, Tensor& out);

}  // namespace mlconv::exec::shape
