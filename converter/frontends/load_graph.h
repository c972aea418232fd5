// Frontend dispatch: picks the reader for an input file by its extension. The ONNX
// frontend (converter/frontends/onnx_graph.{h,cc}, providing
// `Graph load_onnx_graph(const std::filesystem::path&)`) is compiled in when its
// source is present; converter/CMakeLists.txt then defines MLCONV_HAVE_ONNX_FRONTEND.
#pragma once

#include <filesystem>

#include "converter/ir/graph.h"

namespace mlconv::converter {

// .json -> JSON graph format; .onnx -> ONNX (when built in). Anything else is an error
// naming the file and the accepted extensions.
Graph load_graph(const std::filesystem::path& path);

}  // namespace mlconv::converter
