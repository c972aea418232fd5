// Checking a model's custom layers against a bindings file (E200..E208,
// W200), and deriving a bindings file from a model for `scaffold --bindings`.
#include <algorithm>
#include <map>
#include <set>

#include "spec/error.h"
#include "spec/model_parts.h"
#include "spec/names.h"
#include "spec/validation/bindings.h"
#include "spec/validation/network_walk.h"
#include "spec/weights.h"

namespace mlconv::spec::validation {

namespace cml = CoreML::Specification;

namespace {

void collect(const cml::Model& model, const std::string& prefix, std::vector<CustomLayerRef>& out) {
  if (const auto network = network_of(model)) {
    for_each_layer(network->layers, [&](const std::string& where, const cml::NeuralNetworkLayer& layer) {
      if (layer.has_custom()) out.push_back({prefix + where, &layer});
    });
  }
  if (const cml::Pipeline* pipeline = pipeline_of(model)) {
    for (int i = 0; i < pipeline->models_size(); ++i)
      collect(pipeline->models(i), prefix + "pipeline model " + std::to_string(i) + ": ", out);
  }
}

// How a blob is stored, in the terms of the bindings file; nullopt for an empty blob (fits any type).
std::optional<WeightType> weight_type_of(const WeightBlob& blob) {
  switch (blob.storage) {
    case WeightStorage::float32: return WeightType::float32;
    case WeightStorage::float16: return WeightType::float16;
    case WeightStorage::empty: return std::nullopt;
    default: return WeightType::bytes;
  }
}

// Elements in the unit of the binding's type: floats, halves or bytes.
std::uint64_t element_count(const WeightBlob& blob, WeightType type) {
  return type == WeightType::bytes ? blob.bytes : blob.count;
}

// The integer parameters of a layer, for rules.
std::map<std::string, std::int64_t> integer_parameters(const cml::CustomLayerParams& custom) {
  std::map<std::string, std::int64_t> params;
  for (const auto& [name, value] : custom.parameters()) {
    if (value.has_intvalue()) params[name] = value.intvalue();
    if (value.has_longvalue()) params[name] = value.longvalue();
  }
  return params;
}

std::string count_of(std::size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

class BindingChecker {
 public:
  BindingChecker(const Bindings& bindings, std::vector<Finding>& out) : bindings_(bindings), out_(out) {}

  void check(const CustomLayerRef& ref) {
    const cml::NeuralNetworkLayer& layer = *ref.layer;
    const cml::CustomLayerParams& custom = layer.custom();
    const ClassBinding* binding = bindings_.find(custom.classname());
    if (binding == nullptr) {
      report(ref, "E200", "custom class '" + custom.classname() + "' has no binding in " + bindings_.file,
             "add a binding for '" + custom.classname() + "' (mlconv scaffold --bindings writes one from the model)");
      return;
    }
    used_.insert(binding->class_name);
    const std::string in_binding = "binding '" + binding->class_name + "' (" + bindings_.file + " " + binding->pointer;
    if (static_cast<std::size_t>(layer.input_size()) != binding->inputs.size()) {
      report(ref, "E201", "the layer has " + count_of(static_cast<std::size_t>(layer.input_size()), "input") + "; " +
                              in_binding + "/inputs) takes " + count_of(binding->inputs.size(), "input"),
             "connect the inputs the class reads, in order, or fix the binding");
    }
    if (static_cast<std::size_t>(layer.output_size()) != binding->outputs.size()) {
      report(ref, "E202", "the layer has " + count_of(static_cast<std::size_t>(layer.output_size()), "output") + "; " +
                              in_binding + "/outputs) writes " + count_of(binding->outputs.size(), "output"),
             "give the layer one output per output of the class, or fix the binding");
    }
    check_parameters(ref, *binding, in_binding);
    check_weights(ref, *binding, in_binding);
  }

  void report_unused() {
    for (const ClassBinding& binding : bindings_.classes) {
      if (used_.contains(binding.class_name)) continue;
      out_.push_back(Finding{.code = "W200",
                             .severity = Severity::warning,
                             .where = "binding '" + binding.class_name + "'",
                             .layer_name = {},
                             .layer_type = {},
                             .message = "no custom layer of the model has className '" + binding.class_name + "' (" +
                                        bindings_.file + " " + binding.pointer + ")",
                             .hint = "remove the binding, or fix the className it is keyed by"});
    }
  }

 private:
  void report(const CustomLayerRef& ref, const char* code, std::string message, std::string hint) {
    out_.push_back(Finding{.code = code,
                           .severity = code[0] == 'E' ? Severity::error : Severity::warning,
                           .where = ref.where,
                           .layer_name = ref.layer->name(),
                           .layer_type = std::string(layer_type_name(*ref.layer)),
                           .message = std::move(message),
                           .hint = std::move(hint)});
  }

  void check_parameters(const CustomLayerRef& ref, const ClassBinding& binding, const std::string& in_binding) {
    const auto& stored = ref.layer->custom().parameters();
    for (const ParameterBinding& p : binding.parameters) {
      const auto found = stored.find(p.name);
      if (found == stored.end()) {
        if (p.required)
          report(ref, "E203", "required parameter '" + p.name + "' (" + std::string(param_type_name(p.type)) + ") of " +
                                  in_binding + "/parameters) is not set",
                 "set parameters[\"" + p.name + "\"]." + std::string(param_type_field(p.type)) + " in the converter");
        continue;
      }
      const std::optional<ParamType> type = stored_param_type(found->second);
      if (type != p.type) {
        report(ref, "E204", "parameter '" + p.name + "' is stored as " +
                                (type ? std::string(param_type_field(*type)) : std::string("no value")) + "; " +
                                in_binding + p.pointer.substr(binding.pointer.size()) + ") expects " +
                                std::string(param_type_field(p.type)),
               "store it as " + std::string(param_type_field(p.type)) + ", or change the binding's type to what the "
               "implementation reads");
      }
    }
    // Sorted, so the findings come in a stable order whatever the map's order.
    std::set<std::string> extra;
    for (const auto& [name, value] : stored)
      if (binding.parameter(name) == nullptr) extra.insert(name);
    for (const std::string& name : extra) {
      report(ref, "E205", "parameter '" + name + "' is not declared by " + in_binding + "/parameters)",
             "declare it in the binding if the implementation reads it; otherwise remove it (a misspelt name leaves "
             "the implementation with its default)");
    }
  }

  void check_weights(const CustomLayerRef& ref, const ClassBinding& binding, const std::string& in_binding) {
    const std::vector<WeightBlob> blobs = layer_weights(*ref.layer);
    if (blobs.size() != binding.weights.size()) {
      report(ref, "E206", "the layer has " + count_of(blobs.size(), "weight blob") + "; " + in_binding +
                              "/weights) expects " + std::to_string(binding.weights.size()),
             "store one WeightParams per blob the class's setWeightData reads, in order");
      return;
    }
    const auto params = integer_parameters(ref.layer->custom());
    for (std::size_t i = 0; i < blobs.size(); ++i) {
      const WeightBinding& w = binding.weights[i];
      const std::string blob_name = "weight blob " + std::to_string(i) + " ('" + w.name + "')";
      const std::optional<WeightType> type = weight_type_of(blobs[i]);
      if (type && *type != w.type) {
        report(ref, "E207", blob_name + " is stored as " + element_type_name(blobs[i]) + "; " + in_binding +
                                w.pointer.substr(binding.pointer.size()) + ") expects " +
                                std::string(weight_type_name(w.type)),
               "store the blob as " + std::string(weight_type_name(w.type)) +
                   " (floatValue, float16Value or rawValue), or fix the binding");
        continue;
      }
      if (!w.count || w.count->uses_inputs()) continue;  // needs the input shapes
      const std::optional<std::int64_t> expected = w.count->evaluate({}, params);
      const std::uint64_t actual = element_count(blobs[i], w.type);
      if (expected && (*expected < 0 || static_cast<std::uint64_t>(*expected) != actual)) {
        report(ref, "E208", blob_name + " holds " + std::to_string(actual) + " " +
                                (w.type == WeightType::bytes ? "bytes" : "values") + "; " + in_binding +
                                w.pointer.substr(binding.pointer.size()) + "/count) expects " + w.count->text() +
                                (w.count->text() == std::to_string(*expected) ? "" : " = " + std::to_string(*expected)),
               "re-export the weights with the size the implementation reads, or fix the binding's count");
      }
    }
  }

  const Bindings& bindings_;
  std::vector<Finding>& out_;
  std::set<std::string> used_;
};

}  // namespace

CustomShapeFunction binding_output_shapes(const Bindings& bindings) {
  return [&bindings](const cml::NeuralNetworkLayer& layer,
                     const std::vector<MaybeShape>& inputs) -> std::optional<std::vector<MaybeShape>> {
    const ClassBinding* binding = bindings.find(layer.custom().classname());
    if (binding == nullptr) return std::nullopt;
    ShapeRule::Dims dims;
    for (const MaybeShape& input : inputs) dims.push_back(input.value_or(Shape{}));
    const auto params = integer_parameters(layer.custom());
    std::vector<MaybeShape> outputs;
    for (const OutputBinding& output : binding->outputs) {
      if (output.same_as_input) {
        const auto k = static_cast<std::size_t>(*output.same_as_input);
        outputs.push_back(k < inputs.size() ? inputs[k] : std::nullopt);
        continue;
      }
      Shape shape;
      for (const ShapeRule& rule : output.dims) {
        // A rule over a dimension only run time knows gives an unknown dimension, not a wrong one.
        bool reads_unknown = false;
        for (const MaybeShape& input : inputs)
          if (input && std::find(input->begin(), input->end(), unknown_dim) != input->end()) reads_unknown = true;
        const std::optional<std::int64_t> value = rule.evaluate(dims, params);
        shape.push_back(value && !(reads_unknown && rule.uses_inputs()) ? *value : unknown_dim);
      }
      outputs.push_back(std::move(shape));
    }
    return outputs;
  };
}

std::vector<CustomLayerRef> custom_layers(const cml::Model& model) {
  std::vector<CustomLayerRef> out;
  collect(model, "", out);
  return out;
}

std::vector<Finding> check_bindings(const cml::Model& model, const Bindings& bindings) {
  std::vector<Finding> findings;
  BindingChecker checker(bindings, findings);
  for (const CustomLayerRef& ref : custom_layers(model)) checker.check(ref);
  checker.report_unused();
  return findings;
}

nlohmann::ordered_json derive_bindings(const cml::Model& model) {
  using Json = nlohmann::ordered_json;
  // Layers grouped by class, in model order.
  std::vector<std::pair<std::string, std::vector<const cml::NeuralNetworkLayer*>>> classes;
  for (const CustomLayerRef& ref : custom_layers(model)) {
    const std::string& name = ref.layer->custom().classname();
    if (name.empty()) continue;  // E040 already; there is no class to bind
    auto it = std::find_if(classes.begin(), classes.end(), [&](const auto& c) { return c.first == name; });
    if (it == classes.end()) it = classes.insert(classes.end(), {name, {}});
    it->second.push_back(ref.layer);
  }
  Json document;
  document["$schema"] = "https://mlconv.dev/schemas/bindings.schema.json";
  document["classes"] = Json::object();
  for (const auto& [name, layers] : classes) {
    const cml::NeuralNetworkLayer& first = *layers.front();
    Json c;
    if (!first.custom().description().empty()) c["description"] = first.custom().description();
    c["inputs"] = Json::array();
    for (int i = 0; i < std::max(first.input_size(), 1); ++i) c["inputs"].push_back("input" + std::to_string(i));
    c["outputs"] = Json::array();
    // The class's real rule is unknown; the same shape as the matching input is the common case (activations).
    for (int i = 0; i < std::max(first.output_size(), 1); ++i)
      c["outputs"].push_back({{"name", "output" + std::to_string(i)},
                              {"sameShapeAs", std::min(i, std::max(first.input_size(), 1) - 1)}});
    // Every name any layer of the class sets, typed as the first layer that sets it stores it.
    std::map<std::string, std::pair<ParamType, int>> params;  // type, layers setting it
    for (const auto* layer : layers) {
      for (const auto& [key, value] : layer->custom().parameters()) {
        const std::optional<ParamType> type = stored_param_type(value);
        if (!type) continue;
        auto [it, fresh] = params.try_emplace(key, *type, 0);
        it->second.second += 1;
      }
    }
    if (!params.empty()) {
      c["parameters"] = Json::object();
      for (const auto& [key, typed] : params)
        c["parameters"][key] = {{"type", std::string(param_type_name(typed.first))},
                                {"required", typed.second == static_cast<int>(layers.size())}};
    }
    const std::vector<WeightBlob> blobs = layer_weights(first);
    if (!blobs.empty()) {
      c["weights"] = Json::array();
      for (std::size_t i = 0; i < blobs.size(); ++i) {
        const WeightType type = weight_type_of(blobs[i]).value_or(WeightType::float32);
        Json w{{"name", "weights" + std::to_string(i)}, {"type", std::string(weight_type_name(type))}};
        // A fixed count only when every layer of the class agrees on it.
        bool same = true;
        for (const auto* layer : layers) {
          const auto other = layer_weights(*layer);
          same = same && other.size() == blobs.size() &&
                 element_count(other[i], type) == element_count(blobs[i], type);
        }
        if (same) w["count"] = element_count(blobs[i], type);
        c["weights"].push_back(std::move(w));
      }
    }
    document["classes"][name] = std::move(c);
  }
  return document;
}

}  // namespace mlconv::spec::validation
