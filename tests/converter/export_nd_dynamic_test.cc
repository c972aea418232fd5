// The N-d mappings of operands computed at run time (converter/export/layers_nd_dynamic.cc):
// each graph is converted, checked for the dynamic layer it needs, and run with the
// executor; the expected values are worked out by hand (numpy semantics of the ONNX op).
#include <doctest/doctest.h>

#include "executor/predictor.h"
#include "tests/converter/converter_test_support.h"

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;

struct Input {
  std::string name;
  std::string type;  // "float32", "int64"
  std::vector<std::int64_t> shape;
  std::vector<float> values;
};

std::string dims_json(const std::vector<std::int64_t>& dims) {
  std::string out = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
  return out + "]";
}

// A graph of one node reading `inputs` (all graph inputs) and writing the outputs, each
// declared with its shape; `initializers` is raw JSON.
std::string dynamic_graph(const std::string& op, const std::vector<Input>& inputs,
                          const std::vector<std::pair<std::string, std::vector<std::int64_t>>>& outputs, const std::string& attributes = "{}",
                          const std::string& node_inputs = "", const std::string& initializers = "") {
  std::string in_json, out_json, names, out_names;
  for (const auto& input : inputs) {
    in_json += std::string(in_json.empty() ? "" : ", ") + R"({"name": ")" + input.name + R"(", "type": ")" + input.type + R"(", "shape": )" +
               dims_json(input.shape) + "}";
    names += std::string(names.empty() ? "" : ", ") + "\"" + input.name + "\"";
  }
  for (const auto& [name, shape] : outputs) {
    out_json += std::string(out_json.empty() ? "" : ", ") + R"({"name": ")" + name + R"(", "shape": )" + dims_json(shape) + "}";
    out_names += std::string(out_names.empty() ? "" : ", ") + "\"" + name + "\"";
  }
  return R"({"opset_imports": [{"version": 18}], "inputs": [)" + in_json + R"(], "outputs": [)" + out_json + R"(], "initializers": [)" +
         initializers + R"(], "nodes": [{"name": "n", "op_type": ")" + op + R"(", "inputs": [)" + (node_inputs.empty() ? names : node_inputs) +
         R"(], "outputs": [)" + out_names + R"(], "attributes": )" + attributes + "}]}";
}

exec::FeatureMap run(const cml::Model& model, const std::vector<Input>& inputs) {
  static const exec::KernelRegistry kernels = exec::KernelRegistry::with_builtin_kernels();
  exec::PredictorOptions options;
  options.kernels = &kernels;
  options.threads = 1;
  exec::Predictor predictor(model, options);
  exec::FeatureMap features;
  for (const auto& input : inputs) {
    exec::Shape shape = input.shape.empty() ? exec::Shape{1} : exec::Shape(input.shape.begin(), input.shape.end());
    const auto type = input.type == "float32" ? cml::ArrayFeatureType::FLOAT32 : cml::ArrayFeatureType::INT32;
    features.emplace(input.name, exec::FeatureValue::array(exec::Tensor(shape, input.values), type));
  }
  return predictor.predict(features);
}

std::vector<float> values_of(const exec::FeatureMap& outputs, const std::string& name) {
  const auto& values = outputs.at(name).tensor.values();
  return {values.begin(), values.end()};
}

bool has_layer(const cml::Model& model, cml::NeuralNetworkLayer::LayerCase layer_case) {
  for (const auto& layer : layers_of(model)) {
    if (layer.layer_case() == layer_case) return true;
  }
  return false;
}

std::vector<float> iota_values(int n, float from = 0.0F) {
  std::vector<float> out;
  for (int i = 0; i < n; ++i) out.push_back(from + static_cast<float>(i));
  return out;
}

TEST_CASE("convert dynamic: Reshape with a run-time shape uses reshapeDynamic and resolves 0 (copy) and -1") {
  const std::vector<Input> inputs{{"x", "float32", {2, 3, 4}, iota_values(24)}, {"shape", "int64", {3}, {4, 0, -1}}};
  const auto model = convert_json(dynamic_graph("Reshape", inputs, {{"y", {4, 3, 2}}}));
  CHECK(model.specificationversion() == 4);
  CHECK(has_layer(model, cml::NeuralNetworkLayer::kReshapeDynamic));
  const auto out = run(model, inputs);
  CHECK(out.at("y").tensor.shape() == exec::Shape{4, 3, 2});
  CHECK(values_of(out, "y") == iota_values(24));
}

TEST_CASE("convert dynamic: Expand with a run-time shape broadcasts both ways (broadcastToDynamic)") {
  // x [3, 1] with shape [2, 1, 2]: the 1 keeps x's 3, so y is [2, 3, 2].
  const std::vector<Input> inputs{{"x", "float32", {3, 1}, {1, 2, 3}}, {"shape", "int64", {3}, {2, 1, 2}}};
  const auto model = convert_json(dynamic_graph("Expand", inputs, {{"y", {2, 3, 2}}}));
  CHECK(has_layer(model, cml::NeuralNetworkLayer::kBroadcastToDynamic));
  const auto out = run(model, inputs);
  CHECK(out.at("y").tensor.shape() == exec::Shape{2, 3, 2});
  CHECK(values_of(out, "y") == std::vector<float>{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
}

TEST_CASE("convert dynamic: Tile with run-time repeats is tile with a second input, which needs iOS 14") {
  const std::vector<Input> inputs{{"x", "float32", {2, 2}, {1, 2, 3, 4}}, {"repeats", "int64", {2}, {1, 2}}};
  const std::string graph = dynamic_graph("Tile", inputs, {{"y", {2, 4}}});
  const auto model = convert_json(graph);
  CHECK(model.specificationversion() == 5);
  REQUIRE(layers_of(model).size() == 1);
  CHECK(layers_of(model)[0].input_size() == 2);
  CHECK(values_of(run(model, inputs), "y") == std::vector<float>{1, 2, 1, 2, 3, 4, 3, 4});

  converter::ConvertOptions options;
  options.deployment_target = converter::spec_version_for_target("iOS13");
  const std::string message = error_of([&] { (void)convert_json(graph, options); });
  CHECK(message.find("layer 'n' (tile): tile repetitions given as a second input need iOS 14") != std::string::npos);
}

TEST_CASE("convert dynamic: Slice with run-time starts and ends over constant axes (sliceDynamic)") {
  // x[:, 1:3] of a [2, 4] tensor holding 0..7.
  const std::vector<Input> inputs{{"x", "float32", {2, 4}, iota_values(8)}, {"starts", "int64", {1}, {1}}, {"ends", "int64", {1}, {3}}};
  const auto model = convert_json(dynamic_graph("Slice", inputs, {{"y", {2, 2}}}, "{}", R"("x", "starts", "ends", "axes")",
                                                R"({"name": "axes", "type": "int64", "shape": [1], "data": [1]})"));
  CHECK(has_layer(model, cml::NeuralNetworkLayer::kSliceDynamic));
  CHECK(values_of(run(model, inputs), "y") == std::vector<float>{1, 2, 5, 6});
}

TEST_CASE("convert dynamic: Slice with run-time axes and a negative step scatters the arguments per axis") {
  // x[:, ::-1] of a [2, 3] tensor (axes [-1], starts [-1], ends [-1000], steps [-1]).
  const std::vector<Input> inputs{{"x", "float32", {2, 3}, iota_values(6)},
                                  {"starts", "int64", {1}, {-1}},
                                  {"ends", "int64", {1}, {-1000}},
                                  {"axes", "int64", {1}, {-1}},
                                  {"steps", "int64", {1}, {-1}}};
  const auto model = convert_json(dynamic_graph("Slice", inputs, {{"y", {2, 3}}}));
  CHECK(has_layer(model, cml::NeuralNetworkLayer::kScatter));
  CHECK(values_of(run(model, inputs), "y") == std::vector<float>{2, 1, 0, 5, 4, 3});
}

TEST_CASE("convert dynamic: ConstantOfShape and Range with run-time operands (fillDynamic, rangeDynamic)") {
  const std::vector<Input> shape{{"shape", "int64", {2}, {2, 3}}};
  const auto fill = convert_json(dynamic_graph("ConstantOfShape", shape, {{"y", {2, 3}}},
                                               R"({"value": {"type": "tensor", "value": {"type": "float32", "shape": [1], "data": [1.5]}}})"));
  CHECK(has_layer(fill, cml::NeuralNetworkLayer::kFillDynamic));
  CHECK(values_of(run(fill, shape), "y") == std::vector<float>(6, 1.5F));

  const std::vector<Input> bounds{{"start", "float32", {}, {1}}, {"limit", "float32", {}, {8}}, {"delta", "float32", {}, {3}}};
  const auto range = convert_json(dynamic_graph("Range", bounds, {{"y", {3}}}));
  CHECK(has_layer(range, cml::NeuralNetworkLayer::kRangeDynamic));
  CHECK(values_of(run(range, bounds), "y") == std::vector<float>{1, 4, 7});
}

TEST_CASE("convert dynamic: TopK with a run-time K gives topK its second input") {
  const std::vector<Input> inputs{{"x", "float32", {1, 5}, {3, 1, 4, 1, 5}}, {"k", "int64", {1}, {2}}};
  const auto model = convert_json(dynamic_graph("TopK", inputs, {{"values", {1, 2}}, {"indices", {1, 2}}}));
  const auto out = run(model, inputs);
  CHECK(values_of(out, "values") == std::vector<float>{5, 4});
  CHECK(values_of(out, "indices") == std::vector<float>{4, 2});
}

TEST_CASE("convert dynamic: OneHot with run-time depth and values wraps negative indices") {
  // indices [0, -1, 2], depth 3, values [off -1, on 5]: -1 is index 2.
  const std::vector<Input> inputs{{"indices", "int64", {3}, {0, -1, 2}}, {"depth", "int64", {}, {3}}, {"values", "float32", {2}, {-1, 5}}};
  const auto model = convert_json(dynamic_graph("OneHot", inputs, {{"y", {3, 3}}}));
  CHECK(model.specificationversion() == 5);  // oneHot is an iOS 14 layer
  CHECK(values_of(run(model, inputs), "y") == std::vector<float>{5, -1, -1, -1, -1, 5, -1, -1, 5});
}

TEST_CASE("convert dynamic: CumSum with a run-time axis, Trilu with a run-time k") {
  const std::vector<Input> cumsum_inputs{{"x", "float32", {2, 2}, {1, 2, 3, 4}}, {"axis", "int64", {}, {0}}};
  const auto cumsum = convert_json(dynamic_graph("CumSum", cumsum_inputs, {{"y", {2, 2}}}));
  CHECK(layers_of(cumsum)[0].input_size() == 2);
  CHECK(values_of(run(cumsum, cumsum_inputs), "y") == std::vector<float>{1, 2, 4, 6});

  const std::vector<Input> trilu_inputs{{"x", "float32", {3, 3}, iota_values(9, 1)}, {"k", "int64", {}, {1}}};
  const auto upper = convert_json(dynamic_graph("Trilu", trilu_inputs, {{"y", {3, 3}}}));
  CHECK(values_of(run(upper, trilu_inputs), "y") == std::vector<float>{0, 2, 3, 0, 0, 6, 0, 0, 0});
  const auto lower = convert_json(dynamic_graph("Trilu", trilu_inputs, {{"y", {3, 3}}}, R"({"upper": {"type": "int", "value": 0}})"));
  CHECK(values_of(run(lower, trilu_inputs), "y") == std::vector<float>{1, 2, 0, 4, 5, 6, 7, 8, 9});
}

TEST_CASE("convert dynamic: Pad with run-time pads and value (constantPad with amounts as an input)") {
  // [1, 2] padded on axis 1 by 1 before and 2 after with 9.
  const std::vector<Input> inputs{{"x", "float32", {1, 2}, {1, 2}}, {"pads", "int64", {4}, {0, 1, 0, 2}}, {"value", "float32", {}, {9}}};
  const auto model = convert_json(dynamic_graph("Pad", inputs, {{"y", {1, 5}}}));
  CHECK(has_layer(model, cml::NeuralNetworkLayer::kConstantPad));
  CHECK(values_of(run(model, inputs), "y") == std::vector<float>{9, 1, 2, 9, 9});

  const std::vector<Input> reflect{{"x", "float32", {1, 2, 3}, iota_values(6)}, {"pads", "int64", {6}, {0, 0, 1, 0, 0, 1}}};
  const std::string message = error_of([&] {
    (void)convert_json(dynamic_graph("Pad", reflect, {{"y", {1, 2, 5}}}, R"({"mode": {"type": "string", "value": "reflect"}})"));
  });
  CHECK(message.find("node 'n' (Pad): mode 'reflect' with pads computed at run time") != std::string::npos);
}

TEST_CASE("convert dynamic: Conv with run-time weights gives convolution a second input (iOS 13)") {
  // A 2x2 kernel of ones over 1..9 in 3x3: the sums of each 2x2 window.
  const std::vector<Input> inputs{{"x", "float32", {1, 1, 3, 3}, iota_values(9, 1)}, {"w", "float32", {1, 1, 2, 2}, {1, 1, 1, 1}}};
  const auto model = convert_json(dynamic_graph("Conv", inputs, {{"y", {1, 1, 2, 2}}}));
  CHECK(model.specificationversion() == 4);
  REQUIRE(layers_of(model).size() == 1);
  CHECK(layers_of(model)[0].input_size() == 2);
  CHECK(layers_of(model)[0].convolution().weights().floatvalue_size() == 0);
  CHECK(values_of(run(model, inputs), "y") == std::vector<float>{12, 16, 24, 28});

}

TEST_CASE("convert dynamic: ConvTranspose with run-time weights becomes a convolution of the zero-spread input") {
  // Stride 1, a 2x2 kernel of ones: each output sums the inputs whose 2x2 footprint covers it.
  const std::vector<Input> overlap{{"x", "float32", {1, 1, 2, 2}, {1, 2, 3, 4}}, {"w", "float32", {1, 1, 2, 2}, {1, 1, 1, 1}}};
  const auto model = convert_json(dynamic_graph("ConvTranspose", overlap, {{"y", {1, 1, 3, 3}}}));
  CHECK(model.specificationversion() == 4);
  CHECK(has_layer(model, cml::NeuralNetworkLayer::kConvolution));
  CHECK(values_of(run(model, overlap), "y") == std::vector<float>{1, 3, 2, 4, 10, 6, 3, 7, 4});

  // Stride 2 with a 2x2 kernel [[1, 0], [0, 2]]: every input places its own scaled block.
  const std::vector<Input> strided{{"x", "float32", {1, 1, 2, 2}, {1, 2, 3, 4}}, {"w", "float32", {1, 1, 2, 2}, {1, 0, 0, 2}}};
  const auto spread = convert_json(dynamic_graph("ConvTranspose", strided, {{"y", {1, 1, 4, 4}}}, R"({"strides": {"type": "ints", "value": [2, 2]}})"));
  CHECK(values_of(run(spread, strided), "y") == std::vector<float>{1, 0, 2, 0, 0, 2, 0, 4, 3, 0, 4, 0, 0, 6, 0, 8});
}

TEST_CASE("convert dynamic: Squeeze and Split with run-time arguments follow the declared output shapes") {
  const std::vector<Input> squeeze_inputs{{"x", "float32", {1, 3, 1}, {1, 2, 3}}, {"axes", "int64", {2}, {0, 2}}};
  const auto squeeze = convert_json(dynamic_graph("Squeeze", squeeze_inputs, {{"y", {3}}}));
  CHECK(has_layer(squeeze, cml::NeuralNetworkLayer::kReshapeStatic));
  CHECK(values_of(run(squeeze, squeeze_inputs), "y") == std::vector<float>{1, 2, 3});

  const std::vector<Input> split_inputs{{"x", "float32", {5}, iota_values(5)}, {"split", "int64", {2}, {2, 3}}};
  const auto split = convert_json(dynamic_graph("Split", split_inputs, {{"a", {2}}, {"b", {3}}}));
  const auto out = run(split, split_inputs);
  CHECK(values_of(out, "a") == std::vector<float>{0, 1});
  CHECK(values_of(out, "b") == std::vector<float>{2, 3, 4});
}

TEST_CASE("convert dynamic: ReduceSum with run-time axes takes them from the declared shape, or refuses when it is ambiguous") {
  // Summing axis 1 of a [3, 2, 2] tensor holding 0..11, kept as size 1.
  const std::vector<Input> inputs{{"x", "float32", {3, 2, 2}, iota_values(12)}, {"axes", "int64", {1}, {1}}};
  const auto kept = convert_json(dynamic_graph("ReduceSum", inputs, {{"y", {3, 1, 2}}}));
  REQUIRE(has_layer(kept, cml::NeuralNetworkLayer::kReduceSum));
  CHECK(values_of(run(kept, inputs), "y") == std::vector<float>{2, 4, 10, 12, 18, 20});

  // Without keepdims [3, 2] could come from removing axis 1 or axis 2.
  const std::string message = error_of([&] {
    (void)convert_json(dynamic_graph("ReduceSum", inputs, {{"y", {3, 2}}}, R"({"keepdims": {"type": "int", "value": 0}})"));
  });
  CHECK(message.find("does not tell which axes of [3, 2, 2] are reduced") != std::string::npos);
}

TEST_CASE("convert dynamic: an output shape that depends on run-time values must be declared") {
  const std::string graph = R"({"opset_imports": [{"version": 18}],
    "inputs": [{"name": "x", "type": "float32", "shape": [2, 3]}, {"name": "shape", "type": "int64", "shape": [1]}],
    "outputs": [{"name": "y"}],
    "nodes": [{"name": "r", "op_type": "Reshape", "inputs": ["x", "shape"], "outputs": ["y"]}]})";
  const std::string message = error_of([&] { (void)convert_json(graph); });
  CHECK(message.find("node 'r' (Reshape): the shape of output 'y' depends on the run-time values of input 1 'shape', and the graph does not "
                     "declare it") != std::string::npos);
}

}  // namespace
}  // namespace mlconv::test
