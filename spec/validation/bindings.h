// The custom layer bindings manifest (schemas/bindings.schema.json): for each
// CustomLayerParams.className, what the app's implementation expects from the
// model -- inputs, outputs and their shape rules, typed parameters, weight
// blobs, test vectors. `validate --bindings` checks a model against it in both
// directions (codes E200..E208, W200); `scaffold --bindings` derives one from
// a model. Parse errors name the file and the JSON pointer of the bad value.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "Model.pb.h"
#include "spec/validation/finding.h"
#include "spec/validation/shape_inference.h"
#include "spec/validation/shape_rule.h"

namespace mlconv::spec::validation {

// How a parameter is stored in CustomLayerParams.parameters (the value oneof).
enum class ParamType { double_, string, int_, long_, bool_ };
std::string_view param_type_name(ParamType type);        // "double", "string", "int", "long", "bool"
std::string_view param_type_field(ParamType type);       // "doubleValue", "stringValue", "intValue", ...
// The stored type of a parameter value; nullopt when the value oneof is empty.
std::optional<ParamType> stored_param_type(const CoreML::Specification::CustomLayerParams::CustomLayerParamValue& value);

// How a weight blob is stored: floatValue, float16Value, or bytes (rawValue /
// int8RawValue, quantized or opaque).
enum class WeightType { float32, float16, bytes };
std::string_view weight_type_name(WeightType type);  // "float32", "float16", "bytes"

struct ParameterBinding {
  std::string name;
  ParamType type = ParamType::double_;
  bool required = true;
  std::string pointer;  // JSON pointer in the bindings file, for messages
};

struct WeightBinding {
  std::string name;
  WeightType type = WeightType::float32;
  // Element count (floats, halves or bytes); a rule over parameters and input
  // dimensions, checked when it can be evaluated from the model alone.
  std::optional<ShapeRule> count;
  std::string pointer;
};

struct OutputBinding {
  std::string name;
  std::optional<int> same_as_input;  // the shape of input K
  std::vector<ShapeRule> dims;       // or one rule per dimension
  std::string pointer;
};

struct ClassBinding {
  std::string class_name;
  std::string description;
  std::vector<std::string> inputs;  // names in order; the layer must list this many
  std::vector<OutputBinding> outputs;
  std::vector<ParameterBinding> parameters;
  std::vector<WeightBinding> weights;
  std::string test_vectors;  // a directory, relative to the bindings file; empty when none
  std::string pointer;

  [[nodiscard]] const ParameterBinding* parameter(std::string_view name) const;
};

struct Bindings {
  std::string file;  // as given, for messages
  std::vector<ClassBinding> classes;

  [[nodiscard]] const ClassBinding* find(std::string_view class_name) const;
};

// Throws mlconv::Error naming `file` and the JSON pointer of the first value
// that breaks the schema (or the byte where the JSON itself is broken).
Bindings parse_bindings(std::string_view text, const std::string& file);
Bindings load_bindings(const std::filesystem::path& path);

// The output shapes the bindings' rules give a custom layer (sameShapeAs input K,
// or one rule per dimension over input dimensions and integer parameters), for
// shape inference; nullopt entries where a rule reads a dimension not known.
CustomShapeFunction binding_output_shapes(const Bindings& bindings);

// Every custom layer of the model (pipeline sub-models, loop and branch
// bodies included) against its binding, and every binding against the model.
std::vector<Finding> check_bindings(const CoreML::Specification::Model& model, const Bindings& bindings);

// A bindings document describing the custom layers of `model` as they are:
// one class per className, parameters with their stored types (required when
// every layer of the class sets them), weights with their storage and sizes,
// outputs with the same shape as input 0 when counts allow (to be edited).
nlohmann::ordered_json derive_bindings(const CoreML::Specification::Model& model);

// One custom layer as the walk finds it.
struct CustomLayerRef {
  std::string where;  // "layer 'swish_1' (custom)", with pipeline prefix and enclosing layers
  const CoreML::Specification::NeuralNetworkLayer* layer;
};
std::vector<CustomLayerRef> custom_layers(const CoreML::Specification::Model& model);

}  // namespace mlconv::spec::validation
