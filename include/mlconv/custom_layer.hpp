// Header-only C++ side of the custom layer plugin ABI (custom_layer.h): derive
// from mlconv::plugin::CustomLayer, override init / set_weights /
// output_shapes / evaluate (Core ML's MLCustomLayer methods), and register the
// classes with MLCONV_PLUGIN. Exceptions thrown by the overrides become the
// error message mlconv prints; none crosses the C boundary.
//
//   class Swish final : public mlconv::plugin::CustomLayer { ... };
//   MLCONV_PLUGIN(registrar) { registrar.add<Swish>("Swish"); }
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "mlconv/custom_layer.h"

namespace mlconv::plugin {

using Shape = std::vector<std::int64_t>;

struct LayerInfo {
  std::string_view name;
  std::string_view class_name;
  std::string_view description;
  int input_count = 0;
  int output_count = 0;
};

// CustomLayerParams.parameters by name. Numeric getters accept any numeric
// storage that holds the value exactly; a wrong type is an error, not a default.
class Parameters {
 public:
  explicit Parameters(const mlconv_params* params) : params_(params) {}

  [[nodiscard]] const mlconv_param* find(std::string_view name) const {
    for (std::int32_t i = 0; params_ != nullptr && i < params_->count; ++i)
      if (name == params_->items[i].name) return &params_->items[i];
    return nullptr;
  }
  [[nodiscard]] bool has(std::string_view name) const { return find(name) != nullptr; }

  [[nodiscard]] double number(std::string_view name, double fallback) const {
    const mlconv_param* p = find(name);
    if (p == nullptr) return fallback;
    switch (p->type) {
      case MLCONV_PARAM_DOUBLE: return p->double_value;
      case MLCONV_PARAM_INT32: return p->int32_value;
      case MLCONV_PARAM_INT64: return static_cast<double>(p->int64_value);
      default: throw wrong_type(*p, "a number");
    }
  }
  [[nodiscard]] std::int64_t integer(std::string_view name, std::int64_t fallback) const {
    const mlconv_param* p = find(name);
    if (p == nullptr) return fallback;
    switch (p->type) {
      case MLCONV_PARAM_INT32: return p->int32_value;
      case MLCONV_PARAM_INT64: return p->int64_value;
      default: throw wrong_type(*p, "an integer (intValue or longValue)");
    }
  }
  [[nodiscard]] bool boolean(std::string_view name, bool fallback) const {
    const mlconv_param* p = find(name);
    if (p == nullptr) return fallback;
    if (p->type != MLCONV_PARAM_BOOL) throw wrong_type(*p, "a boolValue");
    return p->bool_value != 0;
  }
  [[nodiscard]] std::string string(std::string_view name, std::string fallback) const {
    const mlconv_param* p = find(name);
    if (p == nullptr) return fallback;
    if (p->type != MLCONV_PARAM_STRING) throw wrong_type(*p, "a stringValue");
    return {p->string_value, p->string_length};
  }

 private:
  static std::invalid_argument wrong_type(const mlconv_param& p, const char* expected) {
    static const char* const names[] = {"?", "a doubleValue", "a stringValue", "an intValue", "a longValue",
                                        "a boolValue", "unset"};
    const char* actual = p.type >= 1 && p.type <= 6 ? names[p.type] : names[0];
    return std::invalid_argument("parameter '" + std::string(p.name) + "' is " + actual + "; expected " + expected);
  }
  const mlconv_params* params_;
};

// One weight blob (setWeightData's Data), valid while the layer instance lives.
class Weight {
 public:
  explicit Weight(const mlconv_weight& weight) : w_(&weight) {}
  [[nodiscard]] mlconv_weight_type type() const { return static_cast<mlconv_weight_type>(w_->type); }
  [[nodiscard]] std::string_view storage() const { return w_->storage; }
  [[nodiscard]] std::uint64_t element_count() const { return w_->element_count; }
  [[nodiscard]] std::span<const std::byte> bytes() const {
    return {static_cast<const std::byte*>(w_->data), static_cast<std::size_t>(w_->byte_count)};
  }
  // Decoded float32 values; empty for opaque bytes.
  [[nodiscard]] std::span<const float> floats() const {
    return w_->floats == nullptr ? std::span<const float>{}
                                 : std::span<const float>{w_->floats, static_cast<std::size_t>(w_->float_count)};
  }

 private:
  const mlconv_weight* w_;
};

struct Input {
  const float* data;
  std::span<const std::int64_t> shape;
  std::int64_t size;
  [[nodiscard]] std::span<const float> values() const { return {data, static_cast<std::size_t>(size)}; }
};

struct Output {
  float* data;
  std::span<const std::int64_t> shape;
  std::int64_t size;
  [[nodiscard]] std::span<float> values() const { return {data, static_cast<std::size_t>(size)}; }
};

// The host's thread pool.
class Context {
 public:
  explicit Context(const mlconv_run_context* ctx) : ctx_(ctx) {}
  [[nodiscard]] int threads() const { return ctx_ == nullptr ? 1 : ctx_->threads; }

  // Calls body(begin, end) over disjoint ranges of [0, count), possibly
  // concurrently; the first exception a body throws is rethrown here.
  template <class Body>
  void parallel_for(std::int64_t count, std::int64_t min_chunk, Body&& body) const {
    if (count <= 0) return;
    if (ctx_ == nullptr || ctx_->parallel_for == nullptr || ctx_->threads <= 1) {
      body(std::int64_t{0}, count);
      return;
    }
    struct State {
      std::remove_reference_t<Body>* body;
      std::mutex mutex;
      std::exception_ptr failure;
    } state{&body, {}, {}};
    mlconv_range_body trampoline = [](void* data, std::int64_t begin, std::int64_t end) -> std::int32_t {
      auto* s = static_cast<State*>(data);
      try {
        (*s->body)(begin, end);
        return MLCONV_OK;
      } catch (...) {
        std::lock_guard lock(s->mutex);
        if (!s->failure) s->failure = std::current_exception();
        return MLCONV_FAILED;
      }
    };
    const std::int32_t status = ctx_->parallel_for(ctx_->host, count, min_chunk, trampoline, &state);
    if (state.failure) std::rethrow_exception(state.failure);
    if (status != MLCONV_OK) throw std::runtime_error("the host's parallel_for failed");
  }

 private:
  const mlconv_run_context* ctx_;
};

// Base class of a C++ custom layer: one instance per model layer.
class CustomLayer {
 public:
  virtual ~CustomLayer() = default;
  // init(parameters:). Called once, first.
  virtual void init(const LayerInfo& /*layer*/, const Parameters& /*params*/) {}
  // setWeightData(_:). Called once, after init; the default accepts no weights.
  virtual void set_weights(std::span<const Weight> weights) {
    if (!weights.empty())
      throw std::invalid_argument("the layer has " + std::to_string(weights.size()) +
                                  " weight blobs; this class takes none");
  }
  // outputShapes(forInputShapes:): one shape per layer output.
  virtual std::vector<Shape> output_shapes(std::span<const Shape> inputs) = 0;
  // evaluate(inputs:outputs:): outputs are allocated with the shapes returned above.
  virtual void evaluate(std::span<const Input> inputs, std::span<const Output> outputs, const Context& context) = 0;
};

namespace detail {

template <class F>
std::int32_t guarded(mlconv_message* error, F&& f) noexcept {
  try {
    f();
    return MLCONV_OK;
  } catch (const std::exception& e) {
    return mlconv_fail(error, e.what());
  } catch (...) {
    return mlconv_fail(error, "unknown C++ exception");
  }
}

template <class T>
std::int32_t create(void*, const mlconv_layer_info* info, const mlconv_params* params, void** instance,
                    mlconv_message* error) {
  return guarded(error, [&] {
    auto layer = std::make_unique<T>();
    const LayerInfo layer_info{info->layer_name, info->class_name, info->description, info->input_count,
                               info->output_count};
    layer->init(layer_info, Parameters(params));
    *instance = static_cast<CustomLayer*>(layer.release());
  });
}

inline std::int32_t set_weights(void* instance, const mlconv_weight* weights, std::int32_t count,
                                mlconv_message* error) {
  return guarded(error, [&] {
    std::vector<Weight> views;
    for (std::int32_t i = 0; i < count; ++i) views.emplace_back(weights[i]);
    static_cast<CustomLayer*>(instance)->set_weights(views);
  });
}

inline std::int32_t output_shapes(void* instance, const mlconv_shape* inputs, std::int32_t input_count,
                                  mlconv_output_shape* outputs, std::int32_t capacity, std::int32_t* count,
                                  mlconv_message* error) {
  return guarded(error, [&] {
    std::vector<Shape> shapes;
    for (std::int32_t i = 0; i < input_count; ++i)
      shapes.emplace_back(inputs[i].dims, inputs[i].dims + inputs[i].rank);
    const std::vector<Shape> result = static_cast<CustomLayer*>(instance)->output_shapes(shapes);
    // Copy what fits; the host checks count and ranks and explains a mismatch.
    for (std::size_t i = 0; i < result.size() && static_cast<std::int32_t>(i) < capacity; ++i) {
      outputs[i].rank = static_cast<std::int32_t>(result[i].size());
      for (std::size_t d = 0; d < result[i].size() && d < MLCONV_MAX_RANK; ++d) outputs[i].dims[d] = result[i][d];
    }
    *count = static_cast<std::int32_t>(result.size());
  });
}

inline std::int32_t evaluate(void* instance, const mlconv_input* inputs, std::int32_t input_count,
                             const mlconv_output* outputs, std::int32_t output_count, const mlconv_run_context* ctx,
                             mlconv_message* error) {
  return guarded(error, [&] {
    std::vector<Input> in;
    std::vector<Output> out;
    for (std::int32_t i = 0; i < input_count; ++i)
      in.push_back({inputs[i].data, {inputs[i].shape.dims, static_cast<std::size_t>(inputs[i].shape.rank)},
                    inputs[i].element_count});
    for (std::int32_t i = 0; i < output_count; ++i)
      out.push_back({outputs[i].data, {outputs[i].shape.dims, static_cast<std::size_t>(outputs[i].shape.rank)},
                     outputs[i].element_count});
    static_cast<CustomLayer*>(instance)->evaluate(in, out, Context(ctx));
  });
}

inline void destroy(void* instance) { delete static_cast<CustomLayer*>(instance); }

}  // namespace detail

// Registers the plugin's classes with the host (inside MLCONV_PLUGIN).
class Registrar {
 public:
  explicit Registrar(const mlconv_registrar* registrar) : registrar_(registrar) {}
  [[nodiscard]] std::uint32_t host_abi_version() const { return registrar_->abi_version; }

  // T needs a default constructor; throws when the host refuses the class.
  template <class T>
  void add(const char* class_name) {
    static_assert(std::is_base_of_v<CustomLayer, T>, "custom layer classes derive from mlconv::plugin::CustomLayer");
    mlconv_custom_layer_class layer_class{class_name,          nullptr,          &detail::create<T>,
                                          &detail::set_weights, &detail::output_shapes, &detail::evaluate,
                                          &detail::destroy};
    char text[1024] = "";
    mlconv_message error{text, sizeof text};
    if (registrar_->register_class(registrar_->host, &layer_class, &error) != MLCONV_OK)
      throw std::runtime_error(text);
  }

 private:
  const mlconv_registrar* registrar_;
};

}  // namespace mlconv::plugin

// Defines the plugin's two entry points; the braces that follow receive a
// mlconv::plugin::Registrar named `registrar_name`. Use once per library.
#define MLCONV_PLUGIN(registrar_name)                                                                         \
  static void mlconv_plugin_classes(::mlconv::plugin::Registrar& registrar_name);                             \
  extern "C" MLCONV_PLUGIN_EXPORT std::uint32_t mlconv_plugin_abi_version(void) {                             \
    return MLCONV_CUSTOM_LAYER_ABI_VERSION;                                                                   \
  }                                                                                                           \
  extern "C" MLCONV_PLUGIN_EXPORT std::int32_t mlconv_plugin_register(const mlconv_registrar* registrar,       \
                                                                     mlconv_message* error) {                 \
    return ::mlconv::plugin::detail::guarded(error, [&] {                                                     \
      ::mlconv::plugin::Registrar wrapped(registrar);                                                         \
      mlconv_plugin_classes(wrapped);                                                                         \
    });                                                                                                       \
  }                                                                                                           \
  static void mlconv_plugin_classes(::mlconv::plugin::Registrar& registrar_name)

// A plugin with a single class.
#define MLCONV_CUSTOM_LAYER(Type, class_name) \
  MLCONV_PLUGIN(mlconv_registrar_) { mlconv_registrar_.add<Type>(class_name); }
