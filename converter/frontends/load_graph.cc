// Frontend dispatch by file extension.
#include "converter/frontends/load_graph.h"

#include "converter/frontends/json_graph.h"
#include "converter/frontends/onnx_graph.h"
#include "converter/frontends/onnx_opset_forms.h"
#include "spec/error.h"

namespace mlconv::converter {

Graph load_graph(const std::filesystem::path& path) {
  const std::string extension = path.extension().string();
  if (extension == ".json") return load_json_graph(path);
  if (extension == ".onnx") {
    Graph graph = load_onnx_graph(path);
    // The mapping handles only the newest form of ops whose attributes became inputs.
    normalize_opset_forms(graph);
    return graph;
  }
  throw Error("unknown input format '" + extension + "'; expected a .json graph or an .onnx model").in_file(path.string());
}

}  // namespace mlconv::converter
