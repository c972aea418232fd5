// How weight matrices reach the protobuf: the direct copy and tiled transpose of the
// dense mappings, and the CLI's export that frees each constant once it is written.
#include <doctest/doctest.h>

#include "tests/converter/converter_test_support.h"

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;

std::string values_text(std::int64_t count) {
  std::string out = "[";
  for (std::int64_t i = 0; i < count; ++i) out += (i ? ", " : "") + std::to_string(i);
  return out + "]";
}

// x [1, K] -> Gemm with B [K, N] = 0, 1, 2, ... (row-major), optional extra nodes.
std::string gemm_graph(std::int64_t k, std::int64_t n, const std::string& b_type, const std::string& extra_nodes = "",
                       const std::string& extra_initializers = "", const std::string& output = "y") {
  return R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "x", "type": "float32", "shape": [1, )" + std::to_string(k) + R"(]}],
    "outputs": [{"name": ")" + output + R"("}],
    "initializers": [{"name": "B", "type": ")" + b_type + R"(", "shape": [)" + std::to_string(k) + ", " + std::to_string(n) +
         R"(], "data": )" + values_text(k * n) + "}" + extra_initializers + R"(],
    "nodes": [{"name": "fc", "op_type": "Gemm", "inputs": ["x", "B"], "outputs": ["y"],
               "attributes": {"alpha": {"type": "float", "value": 0.5}}})" + extra_nodes + "]}";
}

std::string serialized(const cml::Model& model) {
  std::string bytes;
  REQUIRE(model.SerializeToString(&bytes));
  return bytes;
}

TEST_CASE("export weights: a Gemm B larger than one transpose tile is transposed and scaled element by element") {
  // 40 x 70 crosses the 32-element tiles in both directions, with partial tiles at the edges.
  const std::int64_t k = 40;
  const std::int64_t n = 70;
  for (const std::string type : {"float32", "float64"}) {
    CAPTURE(type);
    const auto model = convert_json(gemm_graph(k, n, type));
    const auto& weights = layers_of(model)[0].innerproduct().weights().floatvalue();
    REQUIRE(weights.size() == k * n);
    // Core ML's W is [N, K]: W[j][i] = alpha * B[i][j] = 0.5 * (i * N + j).
    int wrong = 0;
    for (std::int64_t j = 0; j < n; ++j) {
      for (std::int64_t i = 0; i < k; ++i) wrong += weights[static_cast<int>(j * k + i)] != 0.5F * static_cast<float>(i * n + j);
    }
    CHECK(wrong == 0);
  }
}

TEST_CASE("export weights: freeing constants during the export gives the same model and leaves their dims") {
  // B is read by two nodes: it must survive the first one's layer.
  const std::string text = gemm_graph(3, 3, "float32", R"(, {"name": "fc2", "op_type": "MatMul", "inputs": ["y", "B"], "outputs": ["z"]})",
                                      "", "z");
  const converter::ConversionPlan kept = converter::plan_conversion(graph_from_json(text), {});
  const cml::Model expected = converter::export_model(kept, {});
  converter::ConversionPlan plan = converter::plan_conversion(graph_from_json(text), {});
  const std::optional<converter::ExportedModel> freed = converter::export_model_freeing_weights(plan, {});
  REQUIRE(freed.has_value());
  CHECK(freed->deferred.empty());  // inline data: nothing mapped, nothing deferred
  CHECK(serialized(freed->model) == serialized(expected));
  const auto& second = layers_of(freed->model)[1].innerproduct().weights().floatvalue();
  CHECK(std::vector<float>(second.begin(), second.end()) == std::vector<float>{0, 3, 6, 1, 4, 7, 2, 5, 8});
  const converter::Value* b = plan.graph.find_value("B");
  REQUIRE(b->constant.has_value());
  CHECK(b->constant->bytes.empty());
  CHECK(b->constant->dims == std::vector<std::int64_t>{3, 3});
  CHECK(kept.graph.find_value("B")->constant->bytes.size() == 9 * 4);
}

TEST_CASE("export weights: weights mapped from a file are deferred to the save, which writes the same bytes") {
  // A Gemm with transB = 1 stores B as it is: 500 x 600 floats (1.2 MB) from an external
  // file, which the JSON frontend maps. A second, small initializer stays inline.
  const auto dir = scratch_dir("export_weights_deferred");
  std::vector<float> b(500 * 600);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i % 1000) * 0.125F;
  std::ofstream(dir / "b.bin", std::ios::binary) << std::string(reinterpret_cast<const char*>(b.data()), b.size() * sizeof(float));
  std::ofstream(dir / "g.json") << R"({"opset_imports": [{"version": 13}],
    "inputs": [{"name": "x", "type": "float32", "shape": [1, 600]}], "outputs": [{"name": "y"}],
    "initializers": [{"name": "B", "type": "float32", "shape": [500, 600], "external": {"path": "b.bin"}},
                     {"name": "C", "type": "float32", "shape": [500], "data": )" + values_text(500) + R"(}],
    "nodes": [{"name": "fc", "op_type": "Gemm", "inputs": ["x", "B", "C"], "outputs": ["y"],
               "attributes": {"transB": {"type": "int", "value": 1}}}]})";
  const cml::Model expected = converter::export_model(converter::plan_conversion(dir / "g.json", {}), {});
  converter::ConversionPlan plan = converter::plan_conversion(dir / "g.json", {});
  std::optional<converter::ExportedModel> exported = converter::export_model_freeing_weights(plan, {});
  REQUIRE(exported.has_value());
  CHECK(exported->deferred.size() == 1);
  CHECK(exported->model.neuralnetwork().layers(0).innerproduct().weights().floatvalue_size() == 500 * 600);
  CHECK(spec::save_model(exported->model, dir / "m.mlmodel", exported->deferred));
  CHECK(read_file(dir / "m.mlmodel") == serialized(expected));
}

TEST_CASE("export weights: when the rank-5 attempt fails after freeing, the caller is told to plan again") {
  // The Reshape to rank 3 has no rank-5 form; the N-d export needs B again.
  const std::string text = gemm_graph(2, 6, "float32", R"(, {"name": "r", "op_type": "Reshape", "inputs": ["y", "shape"], "outputs": ["z"]})",
                                      R"(, {"name": "shape", "type": "int64", "shape": [3], "data": [1, 2, 3]})", "z");
  const cml::Model expected = converter::export_model(converter::plan_conversion(graph_from_json(text), {}), {});
  CHECK(expected.specificationversion() >= 4);  // N-d
  converter::ConversionPlan plan = converter::plan_conversion(graph_from_json(text), {});
  CHECK_FALSE(converter::export_model_freeing_weights(plan, {}).has_value());
}

}  // namespace
}  // namespace mlconv::test
