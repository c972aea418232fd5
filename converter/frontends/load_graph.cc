// Frontend dispatch by file extension.
#include "converter/frontends/load_graph.h"

#include "converter/frontends/json_graph.h"
#include "spec/error.h"

#ifdef MLCONV_HAVE_ONNX_FRONTEND
#include "converter/frontends/onnx_graph.h"
#endif

namespace mlconv::converter {

Graph load_graph(const std::filesystem::path& path) {
  const std::string extension = path.extension().string();
  if (extension == ".json") return load_json_graph(path);
  if (extension == ".onnx") {
#ifdef MLCONV_HAVE_ONNX_FRONTEND
    return load_onnx_graph(path);
#else
    throw Error("ONNX input is not supported in this build yet; describe the graph in the JSON graph format "
                "(docs/graph-format.md)")
        .in_file(path.string());
#endif
  }
  throw Error("unknown input format '" + extension + "'; expected a .json graph or an .onnx model").in_file(path.string());
}

}  // namespace mlconv::converter
