// LayerBuilder: the node-side helpers every mapping shares, so each mapping reads
// like the ONNX-to-Core ML correspondence it implements.
#include "converter/export/layer_builder.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "spec/error.h"

namespace mlconv::converter {

const TensorData* LayerBuilder::constant(std::size_t index) const {
  const Value* value = node_.input(index);
  if (value == nullptr) return nullptr;
  if (value->constant) return &*value->constant;
  const auto it = state_.folded.find(value);
  return it != state_.folded.end() ? &it->second : nullptr;
}

const TensorData& LayerBuilder::required_constant(std::size_t index, std::string_view role) const {
  const TensorData* data = constant(index);
  if (data == nullptr) {
    const Value* value = node_.input(index);
    fail(std::string(role) + " (input " + std::to_string(index) + (value ? " '" + value->name + "'" : "") +
         ") must be a constant initializer");
  }
  return *data;
}

std::vector<float> LayerBuilder::constant_floats(std::size_t index, std::string_view role) const {
  const TensorData& data = required_constant(index, role);
  try {
    return data.to_floats();
  } catch (const Error& e) {
    fail(std::string(role) + ": " + e.message());
  }
}

namespace {

// Whether `data` holds exactly its float32 elements, so its bytes can be copied as they are.
bool is_exact_float32(const TensorData& data) {
  return data.type == ElementType::float32 &&
         data.bytes.size() == static_cast<std::uint64_t>(data.element_count()) * sizeof(float);
}

// Stores an is_exact_float32 constant's bytes as they are: one copy, no conversion; none
// at all for a file mapping's bytes when the network defers weights.
void copy_float32(const TensorData& data, cml::WeightParams& params, spec::DeferredWeights* deferred) {
  if (defer_mapped_float32(deferred, data, params)) return;
  float* out = float_weights_to_fill(params, data.bytes.size() / sizeof(float));
  if (!data.bytes.empty()) std::memcpy(out, data.bytes.data(), data.bytes.size());
}

}  // namespace

void LayerBuilder::store_constant_floats(std::size_t index, std::string_view role, cml::WeightParams& params) const {
  const TensorData& data = required_constant(index, role);
  if (!is_exact_float32(data)) return set_float_weights(params, constant_floats(index, role));
  copy_float32(data, params, state_.deferred);
}

const std::vector<std::int64_t>& LayerBuilder::shape(std::size_t index) const {
  const Value* value = node_.input(index);
  if (value == nullptr) fail("input " + std::to_string(index) + " is required");
  const auto it = state_.shapes.find(value);
  if (it != state_.shapes.end()) return it->second;
  if (value->constant) return value->constant->dims;
  fail("the shape of input '" + value->name + "' is unknown");
}

std::vector<std::int64_t> LayerBuilder::constant_ints(std::size_t index, std::string_view role) const {
  const TensorData& data = required_constant(index, role);
  try {
    return data.to_ints();
  } catch (const Error& e) {
    fail(std::string(role) + ": " + e.message());
  }
}

std::string LayerBuilder::load_constant(const std::string& base, const TensorData& data, std::string output) {
  // float32 constants (weights, mostly) are copied once, straight into the layer.
  const bool exact = is_exact_float32(data);
  std::vector<float> values;
  try {
    if (!exact) values = data.to_floats();
  } catch (const Error& e) {
    fail("constant '" + base + "': " + e.message());
  }
  if (exact ? data.bytes.empty() : values.empty()) fail("constant '" + base + "' is empty; Core ML tensors have at least one element");
  if (data.dims.size() > 5) fail("constant '" + base + "' has rank " + std::to_string(data.dims.size()) + "; Core ML constants have rank 5 at most");
  cml::NeuralNetworkLayer& layer = *state_.layers->Add();
  layer.set_name(unique_layer_name(base));
  layer.add_output(output);
  auto& params = *layer.mutable_loadconstantnd();
  // A scalar is a one-element rank-1 tensor: Core ML has no rank-0 blobs.
  if (data.dims.empty()) params.add_shape(1);
  for (const auto d : data.dims) params.add_shape(static_cast<std::uint64_t>(d));
  if (exact) {
    copy_float32(data, *params.mutable_data(), state_.deferred);
  } else {
    set_float_weights(*params.mutable_data(), values);
  }
  return output;
}

std::string LayerBuilder::operand(std::size_t index) {
  const Value* value = node_.input(index);
  if (value == nullptr) fail("input " + std::to_string(index) + " is required");
  if (const auto it = state_.blobs.find(value); it != state_.blobs.end()) return it->second;
  const TensorData* data = constant(index);
  if (data == nullptr) return blob(index);  // fails naming the value
  const std::string name = load_constant(value->name, *data, unique_blob(value->name));
  state_.blobs[value] = name;
  state_.shapes[value] = data->dims;
  return name;
}

std::string LayerBuilder::constant_blob(std::string_view suffix, const TensorData& data) {
  return load_constant(node_.name + "/" + std::string(suffix), data, temp_blob(suffix));
}

void LayerBuilder::constant_output(std::size_t index, const TensorData& data) {
  // No layer yet: consumers that need the values read them as a constant; operand()
  // writes the loadConstantND when a layer reads it (bind_outputs for a graph output).
  if (data.element_count() < 1) fail("output '" + node_.outputs.at(index)->name + "' would be empty");
  state_.shapes[node_.outputs.at(index)] = data.dims;
  state_.folded[node_.outputs.at(index)] = data;
}

std::string LayerBuilder::blob(std::size_t index) const {
  const Value* value = node_.input(index);
  if (value == nullptr) fail("input " + std::to_string(index) + " is required");
  const auto it = state_.blobs.find(value);
  if (it == state_.blobs.end()) {
    fail("input '" + value->name + "' is a constant here; this op needs it computed at run time");
  }
  return it->second;
}

std::int64_t LayerBuilder::attr_int(std::string_view name, std::int64_t fallback) const {
  const Attribute* a = attribute(name);
  if (a == nullptr) return fallback;
  try {
    return a->as_int();
  } catch (const Error& e) {
    fail("attribute '" + std::string(name) + "': " + e.message());
  }
}

double LayerBuilder::attr_float(std::string_view name, double fallback) const {
  const Attribute* a = attribute(name);
  if (a == nullptr) return fallback;
  try {
    return a->as_float();
  } catch (const Error& e) {
    fail("attribute '" + std::string(name) + "': " + e.message());
  }
}

std::string LayerBuilder::attr_string(std::string_view name, std::string fallback) const {
  const Attribute* a = attribute(name);
  if (a == nullptr) return fallback;
  try {
    return a->as_string();
  } catch (const Error& e) {
    fail("attribute '" + std::string(name) + "': " + e.message());
  }
}

std::vector<std::int64_t> LayerBuilder::attr_ints(std::string_view name, std::vector<std::int64_t> fallback) const {
  const Attribute* a = attribute(name);
  if (a == nullptr) return fallback;
  try {
    return a->as_ints();
  } catch (const Error& e) {
    fail("attribute '" + std::string(name) + "': " + e.message());
  }
}

std::string LayerBuilder::unique_blob(const std::string& base) {
  std::string candidate = base;
  for (int suffix = 1; state_.used_blob_names.contains(candidate); ++suffix) candidate = base + "_" + std::to_string(suffix);
  state_.used_blob_names.insert(candidate);
  return candidate;
}

std::string LayerBuilder::output_blob(std::size_t index) {
  const Value* value = node_.outputs.at(index);
  const auto it = state_.blobs.find(value);
  if (it != state_.blobs.end()) return it->second;
  std::string name = unique_blob(value->name);
  state_.blobs[value] = name;
  return name;
}

std::string LayerBuilder::temp_blob(std::string_view suffix) {
  // Also avoid names of graph values: they are claimed by the nodes that produce them later.
  const std::string base = node_.name + "/" + std::string(suffix);
  std::string candidate = base;
  for (int n = 1; state_.used_blob_names.contains(candidate) || graph_.find_value(candidate) != nullptr; ++n) {
    candidate = base + "_" + std::to_string(n);
  }
  state_.used_blob_names.insert(candidate);
  return candidate;
}

void LayerBuilder::set_output_shape(std::size_t index, std::vector<std::int64_t> shape) {
  const Value* value = node_.outputs.at(index);
  if (state_.nd && shape.size() > 5) {
    fail("output '" + value->name + "' would have rank " + std::to_string(shape.size()) + "; Core ML tensors have rank 5 at most");
  }
  if (!state_.nd && shape.size() != 2 && shape.size() != 4) {
    std::string text;
    for (const auto d : shape) text += (text.empty() ? "" : ", ") + std::to_string(d);
    fail("output '" + value->name + "' would have shape [" + text +
         "]; rank-5 Core ML layers carry [N, C] or [N, C, H, W] tensors only");
  }
  for (const auto d : shape) {
    if (d <= 0) fail("output '" + value->name + "' would have an empty or negative dimension");
  }
  state_.shapes[value] = std::move(shape);
}

void LayerBuilder::alias_output(std::size_t index, std::size_t input_index) {
  const Value* output = node_.outputs.at(index);
  state_.blobs[output] = blob(input_index);
  state_.shapes[output] = shape(input_index);
}

cml::NeuralNetworkLayer& LayerBuilder::add_layer(std::string_view suffix, const std::vector<std::string>& inputs,
                                                 const std::vector<std::string>& outputs) {
  cml::NeuralNetworkLayer& layer = *state_.layers->Add();
  layer.set_name(unique_layer_name(suffix.empty() ? node_.name : node_.name + "/" + std::string(suffix)));
  for (const auto& input : inputs) layer.add_input(input);
  for (const auto& output : outputs) layer.add_output(output);
  return layer;
}

std::string LayerBuilder::unique_layer_name(const std::string& base) {
  std::string name = base;
  for (int n = 1; state_.used_layer_names.contains(name); ++n) name = base + "_" + std::to_string(n);
  state_.used_layer_names.insert(name);
  return name;
}

Error LayerBuilder::error(const std::string& message) const {
  Error e(message);
  e.within(node_.describe()).in_file(node_.location.describe());
  return e;
}

void LayerBuilder::fail(const std::string& message) const { throw error(message); }

void set_float_weights(cml::WeightParams& params, const std::vector<float>& values) {
  float* out = float_weights_to_fill(params, values.size());
  if (!values.empty()) std::memcpy(out, values.data(), values.size() * sizeof(float));
}

float* float_weights_to_fill(cml::WeightParams& params, std::size_t count) {
  auto& field = *params.mutable_floatvalue();
  field.Clear();
  field.Reserve(static_cast<int>(count));
  float* out = field.AddNAlreadyReserved(static_cast<int>(count));
  // A large field is fresh memory from the kernel, and the copy into it would otherwise
  // take one page fault per 4 KiB. Populating the pages in one call costs the same zeroing
  // without the faults: about a third off the export of a 400 MB model (docs/convert-
  // performance.md). Kernels before 5.14 refuse the advice, which changes nothing.
  constexpr std::size_t populate_from_bytes = 1 << 20;
  if (count * sizeof(float) >= populate_from_bytes) {
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto first = reinterpret_cast<std::uintptr_t>(out);
    const std::uintptr_t start = (first + page - 1) / page * page;
    const std::uintptr_t end = (first + count * sizeof(float)) / page * page;
#ifdef MADV_POPULATE_WRITE
    if (end > start) ::madvise(reinterpret_cast<void*>(start), end - start, MADV_POPULATE_WRITE);
#endif
  }
  return out;
}

bool defer_mapped_float32(spec::DeferredWeights* deferred, const TensorData& data, cml::WeightParams& params) {
  if (deferred == nullptr || !data.bytes.is_view() || !is_exact_float32(data)) return false;
  deferred->defer(params, data.bytes.size() / sizeof(float), data.bytes.data(), data.bytes.keeper());
  return true;
}

std::vector<std::int64_t> rank5_shape(const std::vector<std::int64_t>& shape) {
  if (shape.size() == 2) return {1, shape[0], shape[1], 1, 1};
  return {1, shape[0], shape[1], shape[2], shape[3]};
}

}  // namespace mlconv::converter
