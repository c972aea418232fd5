// N-d mappings for operands computed at run time (a shape, repeats, starts/ends, K,
// depth, pads, axis, weights given as graph inputs rather than constants): Core ML's
// dynamic layers (reshapeDynamic, broadcastToDynamic, sliceDynamic, fillDynamic,
// rangeDynamic, and the second inputs of tile, topK, oneHot, cumSum, constantPad and
// convolution). The static build functions call these when the operand is not a
// constant; their output shapes, which depend on run-time values, come from the
// graph's declared value shapes.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "converter/export/layer_builder.h"

namespace mlconv::converter::dynamic {

// Whether input `index` is present and not known at export.
bool computed(const LayerBuilder& b, std::size_t index);

// The declared static shape of output `index`, for an output whose size depends on the
// run-time values of input `cause`; fails naming both when the graph does not declare it.
std::vector<std::int64_t> declared_output_shape(const LayerBuilder& b, std::size_t index, std::size_t cause);

void build_reshape(LayerBuilder& b);
void build_expand(LayerBuilder& b);
void build_tile(LayerBuilder& b);
void build_slice(LayerBuilder& b);
void build_constant_of_shape(LayerBuilder& b);
void build_range(LayerBuilder& b);
void build_topk(LayerBuilder& b);
void build_one_hot(LayerBuilder& b);
void build_cumsum(LayerBuilder& b);
void build_pad(LayerBuilder& b);
void build_trilu(LayerBuilder& b);
// ConvTranspose with computed weights, as a convolution (layers_nd_deconvolution.cc).
void build_conv_transpose(LayerBuilder& b);
// Squeeze/Unsqueeze with computed axes only move no data: a reshape to the declared shape.
void build_reshape_to_declared(LayerBuilder& b);
// Reduce* with computed axes: the axes the declared output shape implies (with keepdims,
// the axes that became 1; an axis of size 1 reduces to itself either way). Fails when the
// shapes leave the choice open. Empty: the reduction changes nothing.
std::vector<std::int64_t> reduced_axes_from_declared(const LayerBuilder& b, const std::vector<std::int64_t>& x, bool keep_dims);
// Split with computed sizes: the sizes are the declared output shapes along the axis.
std::vector<std::int64_t> split_sizes_from_declared(const LayerBuilder& b, std::int64_t axis);

}  // namespace mlconv::converter::dynamic
