// Fuzz target 5: ONNX bytes -> the ONNX frontend (checker, shape inference,
// import) -> conversion plan -> Core ML export (`mlconv convert model.onnx`).
// The frontend reads files only, so each input goes through a scratch file.
#include <cstdint>
#include <string_view>

#include "converter/frontends/onnx_graph.h"
#include "fuzz/convert_support.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/targets.h"

namespace mlconv::fuzz {

void onnx(std::string_view bytes) {
  refuse_cleanly([&] {
    const auto path = write_scratch_file("model.onnx", bytes);
    auto graph = mlconv::converter::load_onnx_graph(path);
    mlconv::converter::ConvertOptions options;
    options.allow_custom = bytes.size() % 2 == 0;
    const auto plan = mlconv::converter::plan_conversion(std::move(graph), options);
    convert_planned(plan, options);
  });
}

}  // namespace mlconv::fuzz

MLCONV_FUZZ_TARGET(onnx)
