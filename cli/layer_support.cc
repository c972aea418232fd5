#include "cli/layer_support.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "spec/names.h"
#include "spec/spec_version.h"

namespace mlconv::cli {

namespace cml = CoreML::Specification;

std::string layer_support_markdown(const exec::KernelRegistry& kernels) {
  namespace pb = google::protobuf;
  const pb::Descriptor* layer = cml::NeuralNetworkLayer::descriptor();
  const pb::OneofDescriptor* oneof = layer->FindOneofByName("layer");
  struct Row {
    std::string name;
    int field = 0;
    int version = 0;
    bool runs = false;
  };
  std::vector<Row> rows;
  for (int i = 0; i < oneof->field_count(); ++i) {
    const pb::FieldDescriptor* field = oneof->field(i);
    const auto layer_case = static_cast<cml::NeuralNetworkLayer::LayerCase>(field->number());
    const bool custom = layer_case == cml::NeuralNetworkLayer::kCustom;
    rows.push_back({field->name(), field->number(), spec::spec_version_of_layer_case(layer_case),
                    custom || kernels.find(layer_case) != nullptr});
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.version != b.version ? a.version < b.version : a.field < b.field;
  });
  const auto running = std::count_if(rows.begin(), rows.end(), [](const Row& r) { return r.runs; });

  std::ostringstream out;
  out << "# Layer support\n\n"
      << "<!-- Generated from the schema and the kernel registry by tests/cli/layer_support_test.cc; do not edit.\n"
      << "     Regenerate with: MLCONV_UPDATE_GOLDEN=1 build/tests/mlconv_tests -tc='layer support*' -->\n\n"
      << "Every layer type of the NeuralNetwork spec (" << rows.size() << "), by the Core ML release that introduced it.\n"
      << "`inspect` and `dump` show every field of every layer (they read the schema by reflection); `validate` applies\n"
      << "its structural checks (data flow, weights storage, spec version, custom-layer rules) to every layer;\n"
      << "`run` executes the layers with a kernel: " << running << " of " << rows.size()
      << ". Custom layers run through plugins (docs/plugins.md).\n\n"
      << "| layer | field | introduced | inspect | validate | run |\n"
      << "|---|---:|---|---|---|---|\n";
  for (const Row& row : rows) {
    out << "| `" << row.name << "` | " << row.field << " | " << spec::os_for_spec_version(row.version) << " (spec "
        << row.version << ") | yes | yes | "
        << (row.name == "custom" ? "plugin" : row.runs ? "yes" : "no") << " |\n";
  }
  return out.str();
}

}  // namespace mlconv::cli
