// Helpers the N-d (iOS 13) mappings share: axis normalization, numpy broadcasting of
// static shapes, and the one-layer forms most N-d mappings take.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "converter/export/layer_builder.h"

namespace mlconv::converter::nd {

std::string dims_text(const std::vector<std::int64_t>& dims);
// `axis` in [-rank, rank) as a non-negative axis; fails naming `what` otherwise.
std::int64_t positive_axis(const LayerBuilder& b, std::int64_t axis, std::size_t rank, std::string_view what = "axis");
// The numpy broadcast of two static shapes; fails naming both when they do not broadcast.
std::vector<std::int64_t> broadcast(const LayerBuilder& b, const std::vector<std::int64_t>& x, const std::vector<std::int64_t>& y);
// Saturates at INT64_MAX: dims from a hostile model can multiply past 64 bits.
std::int64_t element_count(const std::vector<std::int64_t>& dims);
// Float32 zeros of `dims` for a constant layer. Fails, naming `what`, above max_generated_elements
// (256 MB): dims come from the model being converted, so they are checked before allocating.
TensorData zeros(const LayerBuilder& b, std::string_view what, const std::vector<std::int64_t>& dims);

// One layer reading input 0 (a constant becomes loadConstantND) and writing output 0
// with the input's shape; the caller sets its parameters.
cml::NeuralNetworkLayer& same_shape_layer(LayerBuilder& b);
// One layer reading inputs 0 and 1 and writing output 0 with their broadcast shape.
cml::NeuralNetworkLayer& broadcast_layer(LayerBuilder& b);
// A reshapeStatic layer from `input` to a new blob (or `output` when given).
std::string reshape_static(LayerBuilder& b, std::string_view suffix, const std::string& input, const std::vector<std::int64_t>& shape,
                           std::string output = {});

// Truncation toward zero (sign(x) * floor(|x|)) from `input` to `output`: integer
// results of float arithmetic.
void truncate(LayerBuilder& b, const std::string& input, const std::string& output);

}  // namespace mlconv::converter::nd
