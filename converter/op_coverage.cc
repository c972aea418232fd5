#include "converter/op_coverage.h"

#include <algorithm>
#include <array>
#include <map>
#include <sstream>
#include <string_view>

#include <onnx/defs/schema.h>

#include "converter/export/layer_table.h"

namespace mlconv::converter {
namespace {

// Ops that never reach the mapping table because a frontend turns them into
// something else first (converter/frontends/onnx_graph.cc).
struct FrontendHandled {
  std::string_view op_type;
  std::string_view how;
};
constexpr std::array frontend_handled = {
    FrontendHandled{"Constant", "becomes an initializer (ONNX frontend)"},
};

bool is_default_domain(std::string_view domain) { return domain.empty() || domain == "ai.onnx"; }

}  // namespace

namespace {

// The classic (rank-5) layers, and the N-d ones where a mapping writes others.
std::string layers_written(const LayerMapping& mapping) {
  if (mapping.build == nullptr) return "N-d: " + std::string(mapping.nd_summary.empty() ? mapping.layer_summary : mapping.nd_summary);
  std::string out(mapping.layer_summary);
  if (mapping.build_nd != nullptr && !mapping.nd_summary.empty()) out += "; N-d: " + std::string(mapping.nd_summary);
  return out;
}

}  // namespace

std::string onnx_op_coverage_markdown() {
  struct Row {
    std::string op;
    int since = 0;
    bool deprecated = false;
  };
  std::vector<Row> onnx_ops;
  for (const onnx::OpSchema& schema : onnx::OpSchemaRegistry::get_all_schemas()) {
    if (!is_default_domain(schema.domain())) continue;
    onnx_ops.push_back({schema.Name(), schema.SinceVersion(), schema.Deprecated()});
  }
  std::sort(onnx_ops.begin(), onnx_ops.end(), [](const Row& a, const Row& b) { return a.op < b.op; });

  std::map<std::string, std::string, std::less<>> mapped;  // op -> layers, default domain
  std::vector<const LayerMapping*> other_domains;
  for (const LayerMapping& mapping : builtin_layer_mappings()) {
    if (is_default_domain(mapping.domain)) {
      mapped.emplace(std::string(mapping.op_type), layers_written(mapping));
    } else {
      other_domains.push_back(&mapping);
    }
  }
  const auto converts = std::count_if(onnx_ops.begin(), onnx_ops.end(), [&](const Row& row) {
    return mapped.contains(row.op) ||
           std::any_of(frontend_handled.begin(), frontend_handled.end(),
                       [&](const FrontendHandled& f) { return f.op_type == row.op; });
  });

  std::ostringstream out;
  out << "# ONNX op coverage\n\n"
      << "<!-- Generated from ONNX's op registry and converter/export/layer_table.cc by\n"
      << "     tests/converter/op_coverage_test.cc; do not edit.\n"
      << "     Regenerate with: MLCONV_UPDATE_GOLDEN=1 build/tests/mlconv_tests -tc='op coverage*' -->\n\n"
      << "Every op of the default ONNX domain known to the ONNX library mlconv is built with (the latest\n"
      << "version of each), and what `mlconv convert` makes of it. " << converts << " of " << onnx_ops.size()
      << " convert with a built-in\n"
      << "mapping; the limits of each mapping (which attributes, axes and ranks) are in\n"
      << "[graph-format.md](graph-format.md#what-is-converted). Any other op converts through a rule: a custom\n"
      << "layer the app implements, or a composite of ops that do convert ([graph-format.md](graph-format.md#rules));\n"
      << "`mlconv convert --check` lists what a given graph needs, and `--allow-custom` makes every uncovered op a\n"
      << "custom layer. Which ops also pass the ONNX backend node tests through `convert` and `run` is in\n"
      << "[conformance.md](conformance.md).\n\n"
      << "Where the layers differ, \"N-d:\" names what an iOS 13 (N-d) model gets; an op with only N-d layers\n"
      << "makes the model need iOS 13.\n\n"
      << "| ONNX op | latest version | converts | Core ML layers |\n"
      << "|---|---:|---|---|\n";
  for (const Row& row : onnx_ops) {
    out << "| `" << row.op << "` | " << row.since << " | ";
    const auto handled = std::find_if(frontend_handled.begin(), frontend_handled.end(),
                                      [&](const FrontendHandled& f) { return f.op_type == row.op; });
    if (const auto it = mapped.find(row.op); it != mapped.end()) {
      out << "yes | " << it->second;
    } else if (handled != frontend_handled.end()) {
      out << "yes | " << handled->how;
    } else {
      out << "rule | ";
    }
    if (row.deprecated) out << (mapped.contains(row.op) ? "; " : "") << "deprecated in ONNX";
    out << " |\n";
  }
  if (!other_domains.empty()) {
    out << "\nBuilt-in mappings of other domains:\n\n| op | domain | Core ML layers |\n|---|---|---|\n";
    for (const LayerMapping* mapping : other_domains) {
      out << "| `" << mapping->op_type << "` | `" << mapping->domain << "` | " << layers_written(*mapping) << " |\n";
    }
  }
  return out.str();
}

}  // namespace mlconv::converter
