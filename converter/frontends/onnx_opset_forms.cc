// Attribute -> input migrations of ONNX ops (see onnx_opset_forms.h), one small rewrite per
// op family, dispatched from a table keyed by op type.
#include "converter/frontends/onnx_opset_forms.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <utility>

#include "spec/error.h"

namespace mlconv::converter {
namespace {

template <typename T>
std::string bytes_of(T value) {
  std::string out(sizeof(T), '\0');
  std::memcpy(out.data(), &value, sizeof(T));
  return out;
}

// IEEE half bits of `f`, rounded to nearest even (the IR only converts the other way).
std::uint16_t float_to_half(float f) {
  std::uint32_t x = 0;
  std::memcpy(&x, &f, sizeof x);
  const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000U);
  const std::uint32_t magnitude = x & 0x7fffffffU;
  if (magnitude > 0x7f800000U) return sign | 0x7e00U;   // NaN
  if (magnitude >= 0x477ff000U) return sign | 0x7c00U;  // rounds past 65504: infinity
  if (magnitude < 0x38800000U) {                        // below 2^-14: subnormal or zero
    float m = 0;
    std::memcpy(&m, &magnitude, sizeof m);
    return static_cast<std::uint16_t>(sign | static_cast<std::uint16_t>(std::nearbyint(m * 16777216.0F)));
  }
  std::uint32_t half = ((((magnitude >> 23) - 127 + 15) << 10) | ((magnitude >> 13) & 0x3ffU));
  const std::uint32_t rest = magnitude & 0x1fffU;
  if (rest > 0x1000U || (rest == 0x1000U && (half & 1U))) ++half;  // a carry moves into the exponent
  return static_cast<std::uint16_t>(sign | half);
}

// A scalar of `type` holding `value` (the old attributes were floats whatever the data's type).
TensorData scalar(ElementType type, double value) {
  TensorData out;
  out.type = type;
  switch (type) {
    case ElementType::float64: out.bytes = bytes_of(value); break;
    case ElementType::float16: out.bytes = bytes_of(float_to_half(static_cast<float>(value))); break;
    case ElementType::int8: out.bytes = bytes_of(static_cast<std::int8_t>(value)); break;
    case ElementType::uint8: out.bytes = bytes_of(static_cast<std::uint8_t>(value)); break;
    case ElementType::int16: out.bytes = bytes_of(static_cast<std::int16_t>(value)); break;
    case ElementType::int32: out.bytes = bytes_of(static_cast<std::int32_t>(value)); break;
    case ElementType::int64: out.bytes = bytes_of(static_cast<std::int64_t>(value)); break;
    default: return TensorData::from_floats({}, {static_cast<float>(value)});
  }
  return out;
}

class Rewriter {
 public:
  Rewriter(Graph& graph, Node& node) : graph_(graph), node_(node) {}

  // The attribute `name`, removed from the node; null when absent.
  std::optional<Attribute> take(const std::string& name) {
    const auto it = node_.attributes.find(name);
    if (it == node_.attributes.end()) return std::nullopt;
    Attribute attribute = std::move(it->second);
    node_.attributes.erase(it);
    return attribute;
  }

  // Puts a new constant `parameter` into input slot `index`, which must be empty.
  void set_input(std::size_t index, const std::string& parameter, TensorData data) {
    if (node_.input(index) != nullptr) {
      throw Error("has '" + parameter + "' both as an attribute and as input " + std::to_string(index));
    }
    Value& value = graph_.add_value(graph_.unique_value_name(node_.name + "/" + parameter), node_.location);
    value.type = data.type;
    value.shape = Shape();
    for (const std::int64_t d : data.dims) value.shape->push_back(Dim::known(d));
    value.constant = std::move(data);
    if (node_.inputs.size() <= index) node_.inputs.resize(index + 1, nullptr);
    node_.inputs[index] = &value;
    value.consumers.push_back(&node_);
  }

  // The attribute `name` read by `get` and removed; an error names the attribute.
  template <typename Get>
  auto take_as(const std::string& name, Get get) -> std::optional<decltype(get(std::declval<const Attribute&>()))> {
    const auto attribute = take(name);
    if (!attribute) return std::nullopt;
    try {
      return get(*attribute);
    } catch (Error& error) {
      throw error.within("attribute '" + name + "'");
    }
  }
  std::optional<std::vector<std::int64_t>> take_ints(const std::string& name) {
    return take_as(name, [](const Attribute& a) { return a.as_ints(); });
  }
  std::optional<std::vector<double>> take_floats(const std::string& name) {
    return take_as(name, [](const Attribute& a) { return a.as_floats(); });
  }
  std::optional<std::int64_t> take_int(const std::string& name) {
    return take_as(name, [](const Attribute& a) { return a.as_int(); });
  }
  std::optional<double> take_float(const std::string& name) {
    return take_as(name, [](const Attribute& a) { return a.as_float(); });
  }

  void ints_to_input(const std::string& attribute, std::size_t index, const std::string& parameter = {}) {
    if (const auto values = take_ints(attribute)) {
      set_input(index, parameter.empty() ? attribute : parameter,
                TensorData::from_ints({static_cast<std::int64_t>(values->size())}, *values));
    }
  }

  void float_to_scalar_input(const std::string& attribute, std::size_t index) {
    if (const auto value = take_float(attribute)) set_input(index, attribute, scalar(data_type(), *value));
  }

  // Element type of the first input; float32 when unknown, as the old attributes were.
  [[nodiscard]] ElementType data_type() const {
    const Value* data = node_.input(0);
    return data != nullptr && data->type != ElementType::undefined ? data->type : ElementType::float32;
  }

  Node& node() { return node_; }

 private:
  Graph& graph_;
  Node& node_;
};

// Resize's attributes for the Upsample / Resize-10 behaviour (see the header).
void set_upsample_modes(Node& node) {
  std::string mode = "nearest";
  if (const Attribute* a = node.find_attribute("mode")) mode = a->as_string();
  if (mode == "bilinear") mode = "linear";
  node.attributes["mode"] = Attribute(mode);
  node.attributes["coordinate_transformation_mode"] = Attribute(std::string("asymmetric"));
  if (mode == "nearest") node.attributes["nearest_mode"] = Attribute(std::string("floor"));
}

void rewrite_upsample(Rewriter& r) {
  Node& node = r.node();
  node.op_type = "Resize";
  // Move an existing scales input (Upsample-9) from slot 1 to slot 2, leaving roi omitted.
  if (node.inputs.size() >= 2) {
    node.inputs.resize(3, nullptr);
    node.inputs[2] = node.inputs[1];
    node.inputs[1] = nullptr;
  }
  if (const auto values = r.take_floats("scales")) {
    r.set_input(2, "scales", TensorData::from_floats({static_cast<std::int64_t>(values->size())},
                                                     std::vector<float>(values->begin(), values->end())));
  }
  const auto height = r.take_float("height_scale");
  const auto width = r.take_float("width_scale");
  if (height || width) {
    const float h = static_cast<float>(height.value_or(1.0));
    const float w = static_cast<float>(width.value_or(1.0));
    r.set_input(2, "scales", TensorData::from_floats({4}, {1.0F, 1.0F, h, w}));
  }
  set_upsample_modes(node);
}

struct Rule {
  std::string_view op_type;
  std::int64_t before_opset;  // the rule applies to models importing an older opset
  std::function<void(Rewriter&)> rewrite;
};

const std::vector<Rule>& rules() {
  static const std::vector<Rule> table = [] {
    std::vector<Rule> out = {
        {"Slice", 10,
         [](Rewriter& r) {
           r.ints_to_input("starts", 1);
           r.ints_to_input("ends", 2);
           r.ints_to_input("axes", 3);
         }},
        {"TopK", 10,
         [](Rewriter& r) {
           if (const auto k = r.take_int("k")) r.set_input(1, "k", TensorData::from_ints({1}, {*k}));
         }},
        {"Pad", 11,
         [](Rewriter& r) {
           r.ints_to_input("pads", 1);
           r.ints_to_input("paddings", 1, "pads");
           if (const auto value = r.take_float("value")) {
             r.set_input(2, "constant_value", scalar(r.data_type(), *value));
           }
         }},
        {"Clip", 11,
         [](Rewriter& r) {
           r.float_to_scalar_input("min", 1);
           r.float_to_scalar_input("max", 2);
         }},
        {"Split", 13, [](Rewriter& r) { r.ints_to_input("split", 1); }},
        {"Squeeze", 13, [](Rewriter& r) { r.ints_to_input("axes", 1); }},
        {"Unsqueeze", 13, [](Rewriter& r) { r.ints_to_input("axes", 1); }},
        {"ReduceSum", 13, [](Rewriter& r) { r.ints_to_input("axes", 1); }},
        {"Upsample", std::numeric_limits<std::int64_t>::max(), rewrite_upsample},
        {"Resize", 11,
         [](Rewriter& r) {
           Node& node = r.node();
           // Resize-10 reads (X, scales); from 11 on, scales is input 2 after roi.
           if (node.inputs.size() != 2) return;
           node.inputs.insert(node.inputs.begin() + 1, nullptr);
           set_upsample_modes(node);
         }},
    };
    for (const std::string_view reduce : {"ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
                                          "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"}) {
      out.push_back({reduce, 18, [](Rewriter& r) { r.ints_to_input("axes", 1); }});
    }
    return out;
  }();
  return table;
}

}  // namespace

void normalize_opset_forms(Graph& graph) {
  const std::int64_t opset = graph.opset_version("");
  for (Node* node : graph.nodes()) {
    for (auto& [name, attribute] : node->attributes) {
      if (attribute.kind() != Attribute::Kind::graph) continue;
      // Frontends create bodies as mutable Graphs and hand them to the Attribute as const
      // only to share them cheaply; the rewrite is idempotent, so a shared body is fine.
      const auto& body = std::get<std::shared_ptr<const Graph>>(attribute.value());
      if (body) normalize_opset_forms(*std::const_pointer_cast<Graph>(body));
    }
    if (!node->domain.empty() && node->domain != "ai.onnx") continue;
    for (const Rule& rule : rules()) {
      if (rule.op_type != node->op_type || opset >= rule.before_opset) continue;
      Rewriter rewriter(graph, *node);
      try {
        rule.rewrite(rewriter);
      } catch (Error& error) {
        throw error.within(node->describe()).in_file(node->location.describe());
      }
      break;
    }
  }
}

}  // namespace mlconv::converter
