#include "cli/layer_attributes.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cli/layer_attributes_families.h"
#include "spec/error.h"
#include "spec/names.h"
#include "spec/weights.h"

namespace mlconv::cli {

namespace pb = google::protobuf;
namespace cml = CoreML::Specification;
using attributes::Json;
using attributes::Layer;

namespace attributes {

namespace {

// Longer lists (a 1000-entry targetShape is a bug, not an attribute) are shown as a count.
constexpr int kLongestListShown = 8;

// Fields where the spec documents that 0 (proto3's "not set") stands for another
// value. Showing the effective value avoids a misleading "epsilon=0".
struct DocumentedDefault {
  const pb::Descriptor* (*message)();
  const char* field;
  double value;
};

const std::unordered_map<const pb::FieldDescriptor*, double>& documented_defaults() {
  static const auto table = [] {
    const std::array<DocumentedDefault, 6> defaults{{
        {cml::BatchnormLayerParams::descriptor, "epsilon", 1e-5},
        {cml::L2NormalizeLayerParams::descriptor, "epsilon", 1e-6},
        {cml::MeanVarianceNormalizeLayerParams::descriptor, "epsilon", 1e-6},
        {cml::ReduceLayerParams::descriptor, "epsilon", 1e-6},
        {cml::LRNLayerParams::descriptor, "k", 1.0},
        {cml::SequenceRepeatLayerParams::descriptor, "nRepetitions", 1.0},
    }};
    std::unordered_map<const pb::FieldDescriptor*, double> by_field;
    for (const DocumentedDefault& entry : defaults) {
      const pb::FieldDescriptor* field = entry.message()->FindFieldByName(entry.field);
      // Only a schema edit can get here; failing loudly beats silently showing 0.
      if (field == nullptr) {
        throw Error(std::string("internal: no field '") + entry.field + "' for a documented default");
      }
      by_field.emplace(field, entry.value);
    }
    return by_field;
  }();
  return table;
}

bool is_weights(const pb::FieldDescriptor* field) {
  return field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE &&
         field->message_type() == cml::WeightParams::descriptor();
}

// A message of plain scalar fields only (SamplingMode, SamePadding, LSTMParams):
// small enough to show inline under the enclosing field's name.
bool is_flat(const pb::Descriptor* type) {
  for (int i = 0; i < type->field_count(); ++i) {
    const pb::FieldDescriptor* field = type->field(i);
    if (field->is_repeated() || field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) return false;
  }
  return true;
}

// The value of a singular scalar field, or null when it carries no information
// (false, empty string). Numbers and enums are always shown: an axis of 0 or a
// pooling type of MAX (enum value 0) is a real choice.
Json singular_scalar(const pb::Message& message, const pb::FieldDescriptor* field) {
  const pb::Reflection* reflection = message.GetReflection();
  const auto& defaults = documented_defaults();
  const auto documented = defaults.find(field);
  const bool has_documented_default = documented != defaults.end();
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return reflection->GetBool(message, field) ? Json(true) : Json();
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      if (field->type() == pb::FieldDescriptor::TYPE_BYTES) return {};  // opaque payloads are not attributes
      std::string text = reflection->GetString(message, field);
      return text.empty() ? Json() : Json(std::move(text));
    }
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      return spec::enum_value_name(field->enum_type(), reflection->GetEnumValue(message, field));
    case pb::FieldDescriptor::CPPTYPE_FLOAT: {
      const float value = reflection->GetFloat(message, field);
      return float_json(value == 0.0F && has_documented_default ? static_cast<float>(documented->second) : value);
    }
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
      return reflection->GetDouble(message, field);
    case pb::FieldDescriptor::CPPTYPE_INT32:
      return reflection->GetInt32(message, field);
    case pb::FieldDescriptor::CPPTYPE_INT64:
      return reflection->GetInt64(message, field);
    case pb::FieldDescriptor::CPPTYPE_UINT32:
      return reflection->GetUInt32(message, field);
    case pb::FieldDescriptor::CPPTYPE_UINT64: {
      const std::uint64_t value = reflection->GetUInt64(message, field);
      return value == 0 && has_documented_default ? static_cast<std::uint64_t>(documented->second) : value;
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return {};
}

Json repeated_scalar_item(const pb::Message& message, const pb::FieldDescriptor* field, int index) {
  const pb::Reflection* reflection = message.GetReflection();
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_BOOL: return reflection->GetRepeatedBool(message, field, index);
    case pb::FieldDescriptor::CPPTYPE_STRING: return reflection->GetRepeatedString(message, field, index);
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      return spec::enum_value_name(field->enum_type(), reflection->GetRepeatedEnumValue(message, field, index));
    case pb::FieldDescriptor::CPPTYPE_FLOAT: return float_json(reflection->GetRepeatedFloat(message, field, index));
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: return reflection->GetRepeatedDouble(message, field, index);
    case pb::FieldDescriptor::CPPTYPE_INT32: return reflection->GetRepeatedInt32(message, field, index);
    case pb::FieldDescriptor::CPPTYPE_INT64: return reflection->GetRepeatedInt64(message, field, index);
    case pb::FieldDescriptor::CPPTYPE_UINT32: return reflection->GetRepeatedUInt32(message, field, index);
    case pb::FieldDescriptor::CPPTYPE_UINT64: return reflection->GetRepeatedUInt64(message, field, index);
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: break;
  }
  return {};
}

// Null for an empty list and for all-false masks, which say no more than an absent field.
Json repeated_scalar(const pb::Message& message, const pb::FieldDescriptor* field) {
  const int size = message.GetReflection()->FieldSize(message, field);
  if (size == 0) return {};
  if (size > kLongestListShown) return std::to_string(size) + " values";
  Json items = Json::array();
  bool any_true = false;
  for (int i = 0; i < size; ++i) {
    items.push_back(repeated_scalar_item(message, field, i));
    any_true = any_true || (items.back().is_boolean() && items.back().get<bool>());
  }
  if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_BOOL && !any_true) return {};
  return items;
}

std::string capitalized(std::string name) {
  if (!name.empty()) name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  return name;
}

// A set flat message is shown under its field's name: a marker message with no
// fields (PaddingReflection) as `true`, a one-field wrapper (SamplingMode) as that
// field's value, otherwise one key per inner field ("modeSamplingMethod" style).
void add_flat_message(Json& out, const std::string& key, const pb::Message& nested) {
  const pb::Descriptor* type = nested.GetDescriptor();
  if (type->field_count() == 0) {
    out[key] = true;
    return;
  }
  for (int i = 0; i < type->field_count(); ++i) {
    const pb::FieldDescriptor* inner = type->field(i);
    Json value = singular_scalar(nested, inner);
    if (value.is_null()) continue;
    out[type->field_count() == 1 ? key : key + capitalized(inner->name())] = std::move(value);
  }
}

}  // namespace

Json float_json(float value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  std::array<char, 32> text{};
  const auto written = std::to_chars(text.data(), text.data() + text.size(), value);
  double widened = 0.0;
  std::from_chars(text.data(), written.ptr, widened);
  return widened;
}

Json border_amounts_json(const cml::BorderAmounts& borders) {
  Json amounts = Json::array();
  bool any = false;
  for (const auto& edge : borders.borderamounts()) {
    amounts.push_back(edge.startedgesize());
    amounts.push_back(edge.endedgesize());
    any = any || edge.startedgesize() != 0 || edge.endedgesize() != 0;
  }
  return any ? amounts : Json();
}

std::uint64_t weight_count(const Layer& layer, const cml::WeightParams& weights) {
  for (const spec::WeightBlob& blob : spec::layer_weights(layer)) {
    if (blob.params == &weights) return blob.count;
  }
  return 0;
}

Json uint_array(const pb::RepeatedField<std::uint64_t>& values) {
  return Json(std::vector<std::uint64_t>(values.begin(), values.end()));
}

Json generic_attributes(const pb::Message& params) {
  Json out = Json::object();
  const pb::Descriptor* type = params.GetDescriptor();
  const pb::Reflection* reflection = params.GetReflection();
  for (int i = 0; i < type->field_count(); ++i) {
    const pb::FieldDescriptor* field = type->field(i);
    if (is_weights(field)) continue;  // weights are reported by inspect's weight section
    const std::string& key = field->name();
    if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      Json value = field->is_repeated() ? repeated_scalar(params, field) : singular_scalar(params, field);
      if (!value.is_null()) out[key] = std::move(value);
      continue;
    }
    // Lists of messages (sub-layers, activations, map entries) and deep messages
    // (sub-networks) are too big for a one-line summary.
    if (field->is_repeated() || !reflection->HasField(params, field)) continue;
    const pb::Message& nested = reflection->GetMessage(params, field);
    if (field->message_type() == cml::BorderAmounts::descriptor()) {
      Json amounts = border_amounts_json(static_cast<const cml::BorderAmounts&>(nested));
      if (!amounts.is_null()) out[key] = std::move(amounts);
    } else if (is_flat(field->message_type())) {
      add_flat_message(out, key, nested);
    }
  }
  return out;
}

}  // namespace attributes

namespace {

// Custom layers are detailed elsewhere in inspect (class, parameters, weights);
// here only what identifies them on one line.
Json custom_attributes(const Layer& layer) {
  const cml::CustomLayerParams& custom = layer.custom();
  Json out = Json::object();
  if (!custom.classname().empty()) out["className"] = custom.classname();
  if (custom.parameters_size() > 0) out["parameters"] = custom.parameters_size();
  if (custom.weights_size() > 0) out["weights"] = custom.weights_size();
  return out;
}

constexpr std::array<attributes::Registration, 1> kCoreFormatters{{
    {Layer::kCustom, custom_attributes},
}};

const std::unordered_map<Layer::LayerCase, attributes::Formatter>& specialised_formatters() {
  static const auto table = [] {
    std::unordered_map<Layer::LayerCase, attributes::Formatter> by_case;
    const std::array<std::span<const attributes::Registration>, 4> families{
        std::span<const attributes::Registration>(kCoreFormatters), attributes::spatial_formatters(),
        attributes::recurrent_formatters(), attributes::arithmetic_formatters()};
    for (const auto family : families) {
      for (const attributes::Registration& registration : family) {
        if (!by_case.emplace(registration.layer_case, registration.formatter).second) {
          throw Error("internal: two attribute formatters for layer type " +
                      std::string(spec::layer_case_name(registration.layer_case)));
        }
      }
    }
    return by_case;
  }();
  return table;
}

// Text view helpers --------------------------------------------------------

// 2- and 3-element spatial values read best as "3x3" (H x W, D x H x W).
bool is_spatial_key(std::string_view key) {
  static constexpr std::array<std::string_view, 6> kSpatial{"kernel",        "stride",          "dilation",
                                                             "scalingFactor", "fractionalScalingFactor", "targetSize"};
  return std::find(kSpatial.begin(), kSpatial.end(), key) != kSpatial.end();
}

// Input/output pairs that read best as one "in->out" item.
struct KeyPair {
  std::string_view input;
  std::string_view output;
  std::string_view shown_as;
};
constexpr std::array<KeyPair, 2> kPairs{{
    {"inputChannels", "outputChannels", "channels"},
    {"inputVectorSize", "outputVectorSize", "vectorSize"},
}};

std::string shortest_number(double value) {
  std::array<char, 64> text{};
  char* end = nullptr;
  // Values that are exact float32s came from float fields: print the float's
  // shortest form, which is shorter than the double's for most of them.
  if (std::isfinite(value) && std::fabs(value) <= std::numeric_limits<float>::max() &&
      static_cast<double>(static_cast<float>(value)) == value) {
    end = std::to_chars(text.data(), text.data() + text.size(), static_cast<float>(value)).ptr;
  } else {
    end = std::to_chars(text.data(), text.data() + text.size(), value).ptr;
  }
  return std::string(text.data(), end);
}

// Strings that would break "key=value" splitting are quoted JSON-style.
std::string text_string(const std::string& text) {
  const bool plain = !text.empty() && std::none_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '=' || c == '"' || c == ',' || std::iscntrl(static_cast<unsigned char>(c));
  });
  return plain ? text : Json(text).dump();
}

std::string text_value(const Json& value, bool spatial) {
  switch (value.type()) {
    case Json::value_t::boolean: return value.get<bool>() ? "true" : "false";
    case Json::value_t::number_integer: return std::to_string(value.get<std::int64_t>());
    case Json::value_t::number_unsigned: return std::to_string(value.get<std::uint64_t>());
    case Json::value_t::number_float: return shortest_number(value.get<double>());
    case Json::value_t::string: return text_string(value.get<std::string>());
    case Json::value_t::array: {
      const bool as_dimensions = spatial && (value.size() == 2 || value.size() == 3) &&
                                 std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_number(); });
      std::string text = as_dimensions ? "" : "[";
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (i > 0) text += as_dimensions ? "x" : ",";
        text += text_value(value[i], false);
      }
      return as_dimensions ? text : text + "]";
    }
    default: return value.dump();
  }
}

// A true flag shows as its bare name, without a "has" prefix: "hasBias" -> "bias".
std::string flag_name(const std::string& key) {
  if (key.size() > 3 && key.starts_with("has") && std::isupper(static_cast<unsigned char>(key[3]))) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(key[3]))) + key.substr(4);
  }
  return key;
}

const KeyPair* pair_of(std::string_view key) {
  for (const KeyPair& pair : kPairs) {
    if (key == pair.input || key == pair.output) return &pair;
  }
  return nullptr;
}

}  // namespace

Json layer_attributes(const Layer& layer) {
  if (layer.layer_case() == Layer::LAYER_NOT_SET) return Json::object();
  const auto& formatters = specialised_formatters();
  if (const auto found = formatters.find(layer.layer_case()); found != formatters.end()) {
    Json out = found->second(layer);
    return out.is_null() ? Json::object() : out;
  }
  const pb::FieldDescriptor* field = Layer::descriptor()->FindFieldByNumber(layer.layer_case());
  if (field == nullptr) return Json::object();  // a case newer than this build's schema
  return attributes::generic_attributes(layer.GetReflection()->GetMessage(layer, field));
}

std::string format_layer_attributes(const Json& attributes) {
  if (!attributes.is_object()) return {};
  std::vector<std::string> items;
  std::unordered_set<std::string> paired;  // keys already shown as half of an "in->out" item
  for (const auto& [key, value] : attributes.items()) {
    if (value.is_null() || (value.is_boolean() && !value.get<bool>()) || paired.contains(key)) continue;
    if (value.is_boolean()) {
      items.push_back(flag_name(key));
      continue;
    }
    if (const KeyPair* pair = pair_of(key); pair != nullptr) {
      const std::string partner(key == pair->input ? pair->output : pair->input);
      if (attributes.contains(partner) && attributes[partner].is_number() && value.is_number()) {
        const Json& input = key == pair->input ? value : attributes[partner];
        const Json& output = key == pair->input ? attributes[partner] : value;
        items.push_back(std::string(pair->shown_as) + "=" + text_value(input, false) + "->" +
                        text_value(output, false));
        paired.insert(partner);
        continue;
      }
    }
    items.push_back(key + "=" + text_value(value, is_spatial_key(key)));
  }
  std::string line;
  for (const std::string& item : items) {
    if (!line.empty()) line += ' ';
    line += item;
  }
  return line;
}

}  // namespace mlconv::cli
