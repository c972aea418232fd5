#include "cli/inspect_text.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "cli/layer_attributes.h"

namespace mlconv::cli {

using nlohmann::ordered_json;

std::string group_thousands(std::uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string grouped;
  grouped.reserve(digits.size() + digits.size() / 3);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return grouped;
}

std::string human_bytes(std::uint64_t bytes) {
  static constexpr const char* units[] = {"bytes", "kB", "MB", "GB", "TB"};
  if (bytes < 1000) return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1000 && unit < 4) {
    value /= 1000;
    ++unit;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, value < 10 ? "%.2f %s" : value < 100 ? "%.1f %s" : "%.0f %s", value, units[unit]);
  return buffer;
}

namespace {

std::string text_of(const ordered_json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.6g", value.get<double>());
    return buffer;
  }
  return value.dump();
}

std::string join(const ordered_json& values, const std::string& separator) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : separator) + text_of(v);
  return out;
}

class Printer {
 public:
  Printer(std::ostream& out, const InspectTextOptions& options) : out_(out), options_(options) {}

  void model(const ordered_json& m, const std::string& indent) {
    const ordered_json& metadata = m["metadata"];
    field(indent, "Model type", m["type"].is_null() ? "<none>" : m["type"].get<std::string>());
    if (m["isUpdatable"].get<bool>()) field(indent, "Updatable", "yes");
    optional_field(indent, "Description", metadata["shortDescription"]);
    optional_field(indent, "Author", metadata["author"]);
    optional_field(indent, "License", metadata["license"]);
    optional_field(indent, "Version", metadata["versionString"]);
    for (const auto& [key, value] : metadata["userDefined"].items()) field(indent, "User-defined", key + " = " + text_of(value));

    features(indent, "Inputs", m["inputs"]);
    features(indent, "Outputs", m["outputs"]);
    if (m.contains("states")) features(indent, "States", m["states"]);
    if (m.contains("trainingInputs")) features(indent, "Training inputs", m["trainingInputs"]);
    if (m.contains("predictedFeatureName") || m.contains("predictedProbabilitiesName")) {
      std::string text = m.value("predictedFeatureName", std::string("-"));
      if (m.contains("predictedProbabilitiesName")) text += " (probabilities: " + m["predictedProbabilitiesName"].get<std::string>() + ")";
      field(indent, "Predicts", text);
    }
    if (m.contains("classLabels")) class_labels(indent, m["classLabels"]);
    if (m.contains("functions")) {
      std::string names;
      for (const auto& function : m["functions"]) names += (names.empty() ? "" : ", ") + function["name"].get<std::string>();
      field(indent, "Functions", names + " (default " + m["defaultFunctionName"].get<std::string>() + ")");
    }
    if (m.contains("preprocessing") && !m["preprocessing"].empty()) preprocessing(indent, m["preprocessing"]);
    if (m.contains("layers")) network_summary(indent, m);
    if (m.contains("models")) {
      for (const auto& sub : m["models"]) {
        out_ << "\n" << indent << "Pipeline model " << sub["index"].get<int>();
        if (!sub["name"].get<std::string>().empty()) out_ << " '" << sub["name"].get<std::string>() << "'";
        out_ << ": " << (sub["type"].is_null() ? "<none>" : sub["type"].get<std::string>()) << ", specificationVersion "
             << sub["specificationVersion"].get<int>() << "\n";
        model(sub, indent + "  ");
      }
    }
  }

  void dependencies(const ordered_json& classes) {
    out_ << "\nDependencies (custom layer classes the app must provide)\n";
    if (classes.empty()) {
      out_ << "  none\n";
      return;
    }
    for (const auto& c : classes) {
      const std::size_t uses = c["layers"].size();
      out_ << "  " << c["className"].get<std::string>() << "  used by " << uses << (uses == 1 ? " layer" : " layers") << "\n";
      if (!c["description"].get<std::string>().empty()) out_ << "    \"" << c["description"].get<std::string>() << "\"\n";
      for (const auto& usage : c["usages"]) {
        out_ << "    layer '" << usage["layer"].get<std::string>() << "'\n";
        if (usage["parameters"].empty()) out_ << "      parameters: none\n";
        for (const auto& [name, p] : usage["parameters"].items()) {
          out_ << "      parameter " << name << " = " << text_of(p["value"]) << " ("
               << (p["type"].is_null() ? std::string("no value") : p["type"].get<std::string>()) << ")\n";
        }
        if (usage["weights"].empty()) out_ << "      weights: none\n";
        int index = 0;
        for (const auto& w : usage["weights"]) {
          out_ << "      weights[" << index++ << "]: " << w["elementType"].get<std::string>() << " × "
               << group_thousands(w["count"].get<std::uint64_t>()) << "\n";
        }
      }
    }
  }

  void layer_table(const ordered_json& m, const std::string& indent) {
    if (m.contains("layers")) {
      out_ << "\n" << indent << "Layers\n";
      layers(m["layers"], indent + "  ");
    }
    if (m.contains("models")) {
      for (const auto& sub : m["models"]) {
        out_ << "\n" << indent << "Pipeline model " << sub["index"].get<int>() << " layers\n";
        layer_table_body(sub, indent + "  ");
      }
    }
  }

  void weight_table(const ordered_json& m, const std::string& indent) {
    if (m.contains("layers")) weights(m["layers"], indent);
    if (m.contains("models")) {
      for (const auto& sub : m["models"]) weight_table(sub, indent);
    }
  }

  void field(const std::string& indent, const std::string& label, const std::string& value) {
    out_ << indent << "  " << label << std::string(label.size() < 16 ? 16 - label.size() : 1, ' ') << value << "\n";
  }

 private:
  void layer_table_body(const ordered_json& m, const std::string& indent) {
    if (m.contains("layers")) layers(m["layers"], indent);
    if (m.contains("models")) {
      for (const auto& sub : m["models"]) layer_table_body(sub, indent);
    }
    if (!m.contains("layers") && !m.contains("models")) out_ << indent << "(no neural network layers)\n";
  }

  void optional_field(const std::string& indent, const std::string& label, const ordered_json& value) {
    if (value.is_string() && !value.get<std::string>().empty()) field(indent, label, value.get<std::string>());
  }

  void features(const std::string& indent, const std::string& title, const ordered_json& list) {
    out_ << "\n" << indent << title << "\n";
    if (list.empty()) out_ << indent << "  none\n";
    std::size_t width = 0;
    for (const auto& f : list) width = std::max(width, f["name"].get<std::string>().size());
    for (const auto& f : list) {
      const std::string name = f["name"].get<std::string>();
      out_ << indent << "  " << name << std::string(width - name.size() + 2, ' ') << f["summary"].get<std::string>();
      if (f.contains("shortDescription")) out_ << "  -- " << f["shortDescription"].get<std::string>();
      out_ << "\n";
    }
  }

  void class_labels(const std::string& indent, const ordered_json& labels) {
    std::string shown;
    const std::size_t count = labels["labels"].size();
    for (std::size_t i = 0; i < count && i < options_.max_labels; ++i) {
      shown += (i ? ", " : "") + (labels["type"] == "string" ? "\"" + labels["labels"][i].get<std::string>() + "\"" : labels["labels"][i].dump());
    }
    if (count > options_.max_labels) shown += ", ...";
    field(indent, "Class labels", std::to_string(count) + " " + labels["type"].get<std::string>() + (count ? ": " + shown : ""));
  }

  void preprocessing(const std::string& indent, const ordered_json& steps) {
    out_ << "\n" << indent << "Preprocessing\n";
    for (const auto& step : steps) {
      out_ << indent << "  " << step["featureName"].get<std::string>() << ": ";
      if (step.contains("scaler")) {
        const auto& s = step["scaler"];
        out_ << "scale " << text_of(s["channelScale"]) << ", bias R " << text_of(s["redBias"]) << " G "
             << text_of(s["greenBias"]) << " B " << text_of(s["blueBias"]) << " gray " << text_of(s["grayBias"]) << "\n";
      } else if (step.contains("meanImage")) {
        out_ << "subtract mean image (" << group_thousands(step["meanImage"]["count"].get<std::uint64_t>()) << " values)\n";
      } else {
        out_ << "none\n";
      }
    }
  }

  void network_summary(const std::string& indent, const ordered_json& m) {
    out_ << "\n" << indent << "Network\n";
    std::string types;
    for (const auto& [type, n] : m["layerTypes"].items()) types += (types.empty() ? "" : ", ") + type + " " + text_of(n);
    field(indent, "Layers", group_thousands(m["layerCount"].get<std::uint64_t>()) + (types.empty() ? "" : ": " + types));
    const auto& p = m["parameters"];
    std::string storage;
    for (const auto& [type, s] : p["byElementType"].items()) {
      storage += (storage.empty() ? "" : "; ") + type + " " + group_thousands(s["count"].get<std::uint64_t>()) + " (" +
                 human_bytes(s["bytes"].get<std::uint64_t>()) + ")";
    }
    field(indent, "Parameters", group_thousands(p["count"].get<std::uint64_t>()) + " in " +
                                    human_bytes(p["bytes"].get<std::uint64_t>()) + (storage.empty() ? "" : ": " + storage));
    field(indent, "Shape mapping", "arrays " + m["arrayInputShapeMapping"].get<std::string>() + ", images " +
                                       m["imageInputShapeMapping"].get<std::string>());
    if (m.contains("updateParams")) {
      const auto& u = m["updateParams"];
      std::string text;
      if (u.contains("lossLayers")) text += std::to_string(u["lossLayers"].size()) + " loss layer(s)";
      if (u.contains("optimizer") && !u["optimizer"].empty()) text += (text.empty() ? "" : ", ") + std::string("optimizer ") + u["optimizer"].begin().key();
      if (u.contains("epochs")) text += (text.empty() ? "" : ", ") + std::string("epochs ") + text_of(u["epochs"].value("defaultValue", ordered_json("?")));
      field(indent, "Training", text.empty() ? "update parameters set" : text);
    }
  }

  void layers(const ordered_json& list, const std::string& indent) {
    std::size_t name_width = 4;
    std::size_t type_width = 4;
    std::size_t flow_width = 0;
    for (const auto& l : list) {
      name_width = std::max(name_width, l["name"].get<std::string>().size());
      type_width = std::max(type_width, l["type"].get<std::string>().size());
      flow_width = std::max(flow_width, flow(l).size());
    }
    flow_width = std::min<std::size_t>(flow_width, 60);  // one long blob name should not push every line right
    for (const auto& l : list) {
      const std::string name = l["name"].get<std::string>();
      const std::string type = l["type"].get<std::string>();
      std::string index = std::to_string(l["index"].get<int>());
      out_ << indent << std::string(index.size() < 4 ? 4 - index.size() : 0, ' ') << index << "  " << name
           << std::string(name_width - name.size() + 2, ' ') << type << std::string(type_width - type.size() + 2, ' ')
           << flow(l);
      const std::string attributes = format_layer_attributes(l["attributes"]);
      if (!attributes.empty()) {
        const std::size_t used = flow(l).size();
        out_ << std::string(used < flow_width ? flow_width - used + 2 : 2, ' ') << attributes;
      }
      out_ << "\n";
      if (l.contains("subnetworks")) {
        for (const auto& [role, network] : l["subnetworks"].items()) {
          out_ << indent << "      " << role << ":\n";
          layers(network["layers"], indent + "        ");
        }
      }
    }
  }

  static std::string flow(const ordered_json& layer) {
    return join(layer["inputs"], ", ") + " -> " + join(layer["outputs"], ", ");
  }

  void weights(const ordered_json& list, const std::string& indent) {
    for (const auto& l : list) {
      if (!l["weights"].empty()) {
        out_ << indent << "  " << l["name"].get<std::string>() << " (" << l["type"].get<std::string>() << ")\n";
        std::size_t field_width = 0;
        for (const auto& w : l["weights"]) field_width = std::max(field_width, w["field"].get<std::string>().size());
        for (const auto& w : l["weights"]) {
          const std::string field_name = w["field"].get<std::string>();
          out_ << indent << "    " << field_name << std::string(field_width - field_name.size() + 2, ' ')
               << w["elementType"].get<std::string>() << " × " << group_thousands(w["count"].get<std::uint64_t>());
          if (w.contains("statistics") && !w["statistics"].is_null()) {
            const auto& s = w["statistics"];
            out_ << "  min " << text_of(s["min"]) << "  max " << text_of(s["max"]) << "  mean " << text_of(s["mean"]);
            if (s["nan"].get<std::uint64_t>() > 0) out_ << "  NaN " << group_thousands(s["nan"].get<std::uint64_t>());
            if (s["inf"].get<std::uint64_t>() > 0) out_ << "  Inf " << group_thousands(s["inf"].get<std::uint64_t>());
          }
          out_ << "\n";
        }
      }
      if (l.contains("subnetworks")) {
        for (const auto& [role, network] : l["subnetworks"].items()) weights(network["layers"], indent);
      }
    }
  }

  std::ostream& out_;
  const InspectTextOptions& options_;
};

}  // namespace

void render_inspect_text(const ordered_json& report, const InspectTextOptions& options, std::ostream& out) {
  Printer printer(out, options);
  out << report["file"].get<std::string>() << "  (" << human_bytes(report["fileSize"].get<std::uint64_t>()) << ")\n";
  const int version = report["specificationVersion"].get<int>();
  const int minimum = report["minimumSpecificationVersion"].get<int>();
  std::string version_text = std::to_string(version) + " (" + report["os"].get<std::string>() + ")";
  version_text += "; content needs " + std::to_string(minimum) + " (" + report["minimumOs"].get<std::string>() + ")";
  printer.field("", "Specification", version_text);
  for (const auto& requirement : report["versionRequirements"]) {
    if (requirement["version"].get<int>() == minimum && minimum > 1) {
      printer.field("", "  needed by", requirement["where"].get<std::string>() + ": " + requirement["feature"].get<std::string>());
      break;
    }
  }
  printer.model(report, "");
  printer.dependencies(report["customLayers"]);
  if (options.layers) printer.layer_table(report, "");
  if (options.weights) {
    out << "\nWeights\n";
    printer.weight_table(report, "");
  }
}

}  // namespace mlconv::cli
