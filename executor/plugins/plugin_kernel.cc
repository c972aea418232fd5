// Adapts a plugin's MLCustomLayer-style class to exec::Kernel: create and
// set weights at load, output shapes (when the input shapes change) and
// evaluate at run. A plugin's return values are never trusted: counts, ranks
// and dimensions are checked before any tensor is sized from them.
#include "executor/plugins/plugin_kernel.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "executor/plugins/plugin_guard.h"
#include "spec/error.h"
#include "spec/weights.h"

namespace mlconv::exec {

PluginLibrary::~PluginLibrary() {
  if (handle != nullptr) dlclose(handle);
}

std::string PluginMessage::text() {
  text_.back() = '\0';
  std::string text(text_.data(), strnlen(text_.data(), text_.size()));
  return text.empty() ? "(the plugin gave no message)" : text;
}

namespace {

using CoreML::Specification::CustomLayerParams;

// The parameters map as the ABI's sorted array; the strings stay in the layer.
struct ParamTable {
  std::vector<mlconv_param> items;
  explicit ParamTable(const CustomLayerParams& custom) {
    for (const auto& [name, value] : custom.parameters()) {
      mlconv_param p{};
      p.name = name.c_str();
      switch (value.value_case()) {
        case CustomLayerParams::CustomLayerParamValue::kDoubleValue:
          p.type = MLCONV_PARAM_DOUBLE;
          p.double_value = value.doublevalue();
          break;
        case CustomLayerParams::CustomLayerParamValue::kStringValue:
          p.type = MLCONV_PARAM_STRING;
          p.string_value = value.stringvalue().c_str();
          p.string_length = value.stringvalue().size();
          break;
        case CustomLayerParams::CustomLayerParamValue::kIntValue:
          p.type = MLCONV_PARAM_INT32;
          p.int32_value = value.intvalue();
          break;
        case CustomLayerParams::CustomLayerParamValue::kLongValue:
          p.type = MLCONV_PARAM_INT64;
          p.int64_value = value.longvalue();
          break;
        case CustomLayerParams::CustomLayerParamValue::kBoolValue:
          p.type = MLCONV_PARAM_BOOL;
          p.bool_value = value.boolvalue() ? 1 : 0;
          break;
        case CustomLayerParams::CustomLayerParamValue::VALUE_NOT_SET:
          p.type = MLCONV_PARAM_UNSET;
          break;
      }
      items.push_back(p);
    }
    std::sort(items.begin(), items.end(),
              [](const mlconv_param& a, const mlconv_param& b) { return std::strcmp(a.name, b.name) < 0; });
  }
};

// Weight blobs in the ABI's form, plus the decoded floats they point to.
struct WeightTable {
  std::vector<mlconv_weight> items;
  std::vector<std::string> storage_names;
  std::vector<std::vector<float>> decoded;

  explicit WeightTable(const Layer& layer) {
    const std::vector<spec::WeightBlob> blobs = spec::layer_weights(layer);
    storage_names.reserve(blobs.size());
    decoded.reserve(blobs.size());
    for (const spec::WeightBlob& blob : blobs) {
      const CoreML::Specification::WeightParams& params = *blob.params;
      if (blob.storage == spec::WeightStorage::ambiguous)
        throw Error(blob.field + " sets more than one of floatValue, float16Value, rawValue and int8RawValue");
      if (blob.values_elided) throw Error(blob.field + ": weight values were not loaded (the model was read without them)");
      mlconv_weight w{};
      w.bits = blob.bits;
      w.byte_count = blob.bytes;
      w.element_count = blob.count;
      switch (blob.storage) {
        case spec::WeightStorage::float32:
          w.type = MLCONV_WEIGHT_FLOAT32;
          w.data = params.floatvalue().data();
          w.floats = params.floatvalue().data();
          w.float_count = blob.count;
          break;
        case spec::WeightStorage::float16:
          w.type = MLCONV_WEIGHT_FLOAT16;
          w.data = params.float16value().data();
          break;
        case spec::WeightStorage::int8:
          w.type = MLCONV_WEIGHT_BYTES;
          w.data = params.int8rawvalue().data();
          break;
        case spec::WeightStorage::linear_quantized:
        case spec::WeightStorage::lut_quantized:
        case spec::WeightStorage::raw_bytes:
          w.type = MLCONV_WEIGHT_BYTES;
          w.data = params.rawvalue().data();
          w.element_count = blob.bytes;
          break;
        case spec::WeightStorage::empty:
        case spec::WeightStorage::ambiguous:
          w.type = MLCONV_WEIGHT_BYTES;
          w.data = "";
          w.bits = 8;
          w.byte_count = 0;
          w.element_count = 0;
          break;
      }
      // Halves and quantized codes are decoded here so plugins need not know the encodings.
      if (blob.storage == spec::WeightStorage::float16 || blob.storage == spec::WeightStorage::int8 ||
          blob.storage == spec::WeightStorage::linear_quantized || blob.storage == spec::WeightStorage::lut_quantized) {
        try {
          decoded.push_back(spec::decode_weights(blob));
        } catch (Error& error) {
          throw error.within(blob.field);
        }
        w.floats = decoded.back().data();
        w.float_count = decoded.back().size();
      }
      storage_names.push_back(spec::element_type_name(blob));
      w.storage = storage_names.back().c_str();
      items.push_back(w);
    }
  }
};

// Owns the plugin instance; destroys it even when construction fails halfway.
// `crash_note` names the plugin, class and layer if a call into it crashes.
struct Instance {
  std::shared_ptr<const PluginClass> cls;
  PluginCrashNote crash_note;
  void* pointer = nullptr;
  bool live = false;
  Instance(std::shared_ptr<const PluginClass> c, const Layer& layer)
      : cls(std::move(c)),
        crash_note(cls->library->path, describe_named("in class", cls->name) + ", " + describe_named("layer", layer.name())) {}
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;
  ~Instance() {
    const PluginCallGuard guard(crash_note);
    if (live && cls->table.destroy != nullptr) cls->table.destroy(pointer);
  }
};

class PluginKernel final : public Kernel {
 public:
  PluginKernel(std::shared_ptr<const PluginClass> cls, const Layer& layer)
      : instance_(std::move(cls), layer), output_count_(layer.output_size()) {
    const mlconv_custom_layer_class& table = instance_.cls->table;
    const CustomLayerParams& custom = layer.custom();
    ParamTable params(custom);
    const mlconv_params param_view{params.items.data(), static_cast<std::int32_t>(params.items.size())};
    const mlconv_layer_info info{layer.name().c_str(), custom.classname().c_str(), custom.description().c_str(),
                                 layer.input_size(), layer.output_size()};
    std::int32_t status = MLCONV_OK;
    {
      const PluginCallGuard guard(instance_.crash_note);
      status = table.create(table.class_data, &info, &param_view, &instance_.pointer, message_.get());
    }
    if (status != MLCONV_OK) throw Error("creating the instance failed: " + message_.text());
    instance_.live = true;

    weights_ = std::make_unique<WeightTable>(layer);
    const auto count = static_cast<std::int32_t>(weights_->items.size());
    if (table.set_weights == nullptr) {
      if (count != 0)
        throw Error("the layer has " + std::to_string(count) + " weight blobs; the class takes none (no set_weights)");
    } else {
      {
        const PluginCallGuard guard(instance_.crash_note);
        status = table.set_weights(instance_.pointer, weights_->items.data(), count, message_.get());
      }
      if (status != MLCONV_OK) throw Error("set_weights failed: " + message_.text());
    }
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    try {
      compute(inputs, outputs, ctx);
    } catch (Error& error) {
      throw error.within("custom layer class '" + instance_.cls->name + "' from " + instance_.cls->provider());
    }
  }

  std::optional<std::vector<Shape>> output_shapes(std::span<const Shape> input_shapes) override {
    try {
      return shapes_for(input_shapes);
    } catch (Error& error) {
      throw error.within("custom layer class '" + instance_.cls->name + "' from " + instance_.cls->provider());
    }
  }

  // The ABI promises the blobs handed to set_weights stay valid until the instance is destroyed.
  [[nodiscard]] bool reads_stored_weights() const override { return true; }

 private:
  void compute(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) {
    const mlconv_custom_layer_class& table = instance_.cls->table;
    bool same_shapes = have_shapes_ && input_shapes_.size() == inputs.size();
    for (std::size_t i = 0; same_shapes && i < inputs.size(); ++i) same_shapes = input_shapes_[i] == inputs[i]->shape();
    if (!same_shapes) ask_output_shapes(inputs);

    for (std::size_t i = 0; i < outputs.size(); ++i) outputs[i]->resize(output_shapes_[i]);
    std::vector<mlconv_input> in;
    in.reserve(inputs.size());
    for (const Tensor* tensor : inputs)
      in.push_back({tensor->data(), {tensor->shape().data(), tensor->rank()}, tensor->size()});
    std::vector<mlconv_output> out;
    out.reserve(outputs.size());
    for (Tensor* tensor : outputs)
      out.push_back({tensor->data(), {tensor->shape().data(), tensor->rank()}, tensor->size()});
    const mlconv_run_context run{ctx.pool != nullptr ? ctx.pool->size() : 1, ctx.pool, &host_parallel_for};
    std::int32_t status = MLCONV_OK;
    {
      const PluginCallGuard guard(instance_.crash_note);
      status = table.evaluate(instance_.pointer, in.data(), static_cast<std::int32_t>(in.size()), out.data(),
                              static_cast<std::int32_t>(out.size()), &run, message_.get());
    }
    if (status != MLCONV_OK) throw Error("evaluate failed: " + message_.text());
  }

  void ask_output_shapes(std::span<const Tensor* const> inputs) {
    have_shapes_ = false;
    input_shapes_.clear();
    for (const Tensor* tensor : inputs) input_shapes_.push_back(tensor->shape());
    output_shapes_ = shapes_for(input_shapes_);
    have_shapes_ = true;
  }

  std::vector<Shape> shapes_for(std::span<const Shape> inputs) {
    std::vector<mlconv_shape> shapes;
    for (const Shape& shape : inputs) shapes.push_back({shape.data(), static_cast<std::int32_t>(shape.size())});
    std::vector<mlconv_output_shape> result(static_cast<std::size_t>(std::max(output_count_, 1)));
    std::int32_t count = -1;
    const mlconv_custom_layer_class& table = instance_.cls->table;
    std::int32_t status = MLCONV_OK;
    {
      const PluginCallGuard guard(instance_.crash_note);
      status = table.output_shapes(instance_.pointer, shapes.data(), static_cast<std::int32_t>(shapes.size()),
                                   result.data(), output_count_, &count, message_.get());
    }
    if (status != MLCONV_OK) throw Error("output_shapes failed: " + message_.text());
    if (count != output_count_)
      throw Error("output_shapes returned " + std::to_string(count) + " shapes; the layer has " +
                  std::to_string(output_count_) + (output_count_ == 1 ? " output" : " outputs"));
    std::vector<Shape> out;
    for (std::int32_t i = 0; i < output_count_; ++i) out.push_back(checked_shape(result[static_cast<std::size_t>(i)], i));
    return out;
  }

  static Shape checked_shape(const mlconv_output_shape& shape, std::int32_t index) {
    const std::string which = "output_shapes gave output " + std::to_string(index);
    if (shape.rank < 1 || shape.rank > MLCONV_MAX_RANK)
      throw Error(which + " rank " + std::to_string(shape.rank) + "; expected 1 to " + std::to_string(MLCONV_MAX_RANK));
    Shape dims(shape.dims, shape.dims + shape.rank);
    // A float tensor must stay addressable in bytes.
    constexpr std::int64_t limit = std::numeric_limits<std::int64_t>::max() / static_cast<std::int64_t>(sizeof(float));
    std::int64_t elements = 1;
    for (std::int64_t dim : dims) {
      if (dim < 0) throw Error(which + " shape " + shape_to_string(dims) + ", which has a negative dimension");
      if (dim != 0 && elements > limit / dim)
        throw Error(which + " shape " + shape_to_string(dims) + ", which has more elements than memory can hold");
      elements *= dim;
    }
    return dims;
  }

  static std::int32_t host_parallel_for(void* host, std::int64_t count, std::int64_t min_chunk,
                                        mlconv_range_body body, void* data) {
    if (body == nullptr) return MLCONV_FAILED;
    if (count <= 0) return MLCONV_OK;
    try {
      auto* pool = static_cast<ThreadPool*>(host);
      const auto call = [&](std::int64_t begin, std::int64_t end) {
        if (body(data, begin, end) != MLCONV_OK) throw Error("a parallel_for body failed");
      };
      if (pool == nullptr) {
        call(0, count);
      } else {
        pool->parallel_for(count, std::max<std::int64_t>(min_chunk, 1), call);
      }
      return MLCONV_OK;
    } catch (...) {
      return MLCONV_FAILED;
    }
  }

  // Declared before instance_ so the plugin's destroy() runs while the weights it may point to still exist.
  std::unique_ptr<WeightTable> weights_;
  Instance instance_;
  std::int32_t output_count_;
  PluginMessage message_;
  bool have_shapes_ = false;
  std::vector<Shape> input_shapes_;
  std::vector<Shape> output_shapes_;
};

}  // namespace

std::unique_ptr<Kernel> make_plugin_kernel(std::shared_ptr<const PluginClass> plugin_class, const Layer& layer) {
  return std::make_unique<PluginKernel>(std::move(plugin_class), layer);
}

}  // namespace mlconv::exec
