// `scaffold --cpp`: a custom layer plugin for `mlconv run` with every custom
// class of the model, on the C++ side of the plugin API
// (include/mlconv/custom_layer.hpp), and a CMakeLists.txt that builds it
// against an installed mlconv with find_package(mlconv).
#include "cli/scaffold.h"
#include "cli/scaffold_text.h"

namespace mlconv::cli::scaffold {

namespace {

using spec::validation::ParamType;
using spec::validation::WeightType;

struct CppType {
  const char* type;
  const char* getter;  // Parameters:: method
  const char* fallback;
};

CppType cpp_type(ParamType type) {
  switch (type) {
    case ParamType::double_: return {"double", "number", "0.0"};
    case ParamType::int_: return {"std::int32_t", "integer", "0"};
    case ParamType::long_: return {"std::int64_t", "integer", "0"};
    case ParamType::bool_: return {"bool", "boolean", "false"};
    case ParamType::string: return {"std::string", "string", "\"\""};
  }
  return {"double", "number", "0.0"};
}

std::string output_shapes(const ClassToWrite& cls, const std::map<std::string, std::string>& members) {
  std::string s;
  const auto& b = cls.binding;
  s += "    if (inputs.size() != " + std::to_string(b.inputs.size()) + ")\n";
  s += "      throw std::invalid_argument(\"" + identifier(b.class_name) + " takes " + std::to_string(b.inputs.size()) +
       " inputs, got \" + std::to_string(inputs.size()));\n";
  if (!cls.rule_from_user) {
    s += "    // PLACEHOLDER (mlconv scaffold): the model does not say how this class shapes its outputs. Each\n"
         "    // output below takes the shape of an input; replace this with the class's real rule.\n";
  }
  s += "    return {\n";
  for (const auto& output : b.outputs) {
    if (output.same_as_input) {
      s += "        inputs[" + std::to_string(*output.same_as_input) + "],  // " + comment_text(output.name) + "\n";
      continue;
    }
    std::string dims;
    for (const auto& rule : output.dims) {
      dims += (dims.empty() ? "" : ", ") +
              rule.render(
                  [](int k, int d) {
                    return "dim(inputs[" + std::to_string(k) + "], " + std::to_string(d) + ")";
                  },
                  [&](const std::string& name) { return "static_cast<std::int64_t>(" + members.at(name) + "_)"; });
    }
    s += "        mlconv::plugin::Shape{" + dims + "},  // " + comment_text(output.name) + "\n";
  }
  s += "    };\n";
  return s;
}

std::string class_source(const ClassToWrite& cls) {
  const auto& b = cls.binding;
  const std::string name = identifier(b.class_name);
  const auto members = member_names(b);
  std::string s;
  s += "// Class '" + comment_text(b.class_name) + "' (layers: " + comment_text(join_quoted(cls.layer_names)) + ").\n";
  if (!b.description.empty()) s += "// " + comment_text(b.description) + "\n";
  s += "class " + name + " final : public mlconv::plugin::CustomLayer {\n public:\n";
  // An unnamed parameter when nothing reads it, so -Wextra stays quiet.
  s += std::string("  void init(const mlconv::plugin::LayerInfo& layer, const mlconv::plugin::Parameters& ") +
       (b.parameters.empty() ? "/*params*/" : "params") + ") override {\n";
  s += "    if (layer.input_count != " + std::to_string(b.inputs.size()) + " || layer.output_count != " +
       std::to_string(b.outputs.size()) + ")\n";
  s += "      throw std::invalid_argument(\"" + name + " takes " + std::to_string(b.inputs.size()) + " inputs and " +
       std::to_string(b.outputs.size()) + " outputs\");\n";
  for (const auto& p : b.parameters) {
    const CppType t = cpp_type(p.type);
    const std::string& member = members.at(p.name);
    if (p.required) {
      s += "    if (!params.has(" + cpp_string(p.name) + "))\n";
      s += "      throw std::invalid_argument(\"parameter \" " + cpp_string("'" + p.name + "'") +
           " \" is required\");\n";
    }
    s += "    " + member + "_ = " + (std::string(t.getter) == "integer" ? "static_cast<" + std::string(t.type) + ">(" : "(") +
         "params." + t.getter + "(" + cpp_string(p.name) + ", " + t.fallback + "));\n";
  }
  s += "  }\n\n";
  s += "  void set_weights(std::span<const mlconv::plugin::Weight> weights) override {\n";
  s += "    if (weights.size() != " + std::to_string(b.weights.size()) + ")\n";
  s += "      throw std::invalid_argument(\"" + name + " takes " + std::to_string(b.weights.size()) +
       " weight blobs, got \" + std::to_string(weights.size()));\n";
  for (std::size_t i = 0; i < b.weights.size(); ++i) {
    const auto& w = b.weights[i];
    const std::string index = std::to_string(i);
    if (w.type == WeightType::bytes) {
      s += "    blob" + index + "_.assign(weights[" + index + "].bytes().begin(), weights[" + index +
           "].bytes().end());  // " + comment_text(w.name) + "\n";
    } else {
      s += "    blob" + index + "_.assign(weights[" + index + "].floats().begin(), weights[" + index +
           "].floats().end());  // " + comment_text(w.name) + ", decoded to float\n";
    }
  }
  s += "  }\n\n";
  s += "  std::vector<mlconv::plugin::Shape> output_shapes(std::span<const mlconv::plugin::Shape> inputs) override {\n";
  s += output_shapes(cls, members);
  s += "  }\n\n";
  s += "  void evaluate(std::span<const mlconv::plugin::Input> inputs, std::span<const mlconv::plugin::Output> outputs,\n"
       "                const mlconv::plugin::Context& context) override {\n";
  s += "    // Compute outputs[i].values() from inputs[i].values() (dense, row-major float32).\n";
  s += "    (void)inputs;\n    (void)outputs;\n    (void)context;\n";
  s += "    throw std::runtime_error(\"" + name + ": evaluate is not written yet (mlconv scaffold skeleton)\");\n";
  s += "  }\n\n private:\n";
  for (const auto& p : b.parameters) {
    const CppType t = cpp_type(p.type);
    s += "  " + std::string(t.type) + " " + members.at(p.name) + "_{};  // " + comment_text(p.name) + " (" +
         std::string(spec::validation::param_type_field(p.type)) + ")\n";
  }
  for (std::size_t i = 0; i < b.weights.size(); ++i) {
    s += std::string("  std::vector<") + (b.weights[i].type == WeightType::bytes ? "std::byte" : "float") + "> blob" +
         std::to_string(i) + "_;  // " + comment_text(b.weights[i].name) + "\n";
  }
  s += "};\n\n";
  return s;
}

}  // namespace

std::string cpp_source(const std::vector<ClassToWrite>& classes, const std::string& model_file) {
  std::string s;
  s += "// Custom layer plugin for " + comment_text(model_file) + ", written by `mlconv scaffold --cpp`.\n";
  s += "// Build: cmake -S . -B build -DCMAKE_PREFIX_PATH=<mlconv prefix> && cmake --build build\n";
  s += "// Check: mlconv validate --plugin build/<library> MODEL; run: mlconv run --plugin build/<library> MODEL\n";
  s += "#include <cstddef>\n#include <cstdint>\n#include <span>\n#include <stdexcept>\n#include <string>\n"
       "#include <vector>\n\n#include \"mlconv/custom_layer.hpp\"\n\nnamespace {\n\n";
  s += "// Dimension `axis` of `shape`, counting from the end when negative (bindings-file rules).\n";
  s += "[[maybe_unused]] std::int64_t dim(const mlconv::plugin::Shape& shape, int axis) {\n";
  s += "  const int rank = static_cast<int>(shape.size());\n";
  s += "  const int at = axis < 0 ? axis + rank : axis;\n";
  s += "  if (at < 0 || at >= rank) throw std::invalid_argument(\"the input has rank \" + std::to_string(rank));\n";
  s += "  return shape[static_cast<std::size_t>(at)];\n}\n\n";
  for (const auto& cls : classes) s += class_source(cls);
  s += "}  // namespace\n\nMLCONV_PLUGIN(registrar) {\n";
  for (const auto& cls : classes)
    s += "  registrar.add<" + identifier(cls.binding.class_name) + ">(" + cpp_string(cls.binding.class_name) + ");\n";
  s += "}\n";
  return s;
}

std::string cpp_cmake(const std::string& target, const std::string& source_file, const std::string& model_file) {
  std::string s;
  s += "# Custom layer plugin for " + comment_text(model_file) + ", written by `mlconv scaffold --cpp`.\n";
  s += "# Builds against an installed mlconv: cmake -S . -B build -DCMAKE_PREFIX_PATH=<prefix>\n";
  s += "cmake_minimum_required(VERSION 3.20)\nproject(" + target + " LANGUAGES CXX)\n";
  s += "find_package(mlconv REQUIRED)\n";
  s += "if(NOT CMAKE_BUILD_TYPE)\n  set(CMAKE_BUILD_TYPE Release)\nendif()\n\n";
  s += "add_library(" + target + " MODULE " + source_file + ")\n";
  s += "target_link_libraries(" + target + " PRIVATE mlconv::plugin_api)\n";
  s += "# Only the two entry points mlconv looks up need to be visible.\n";
  s += "set_target_properties(" + target + " PROPERTIES CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)\n";
  s += "target_compile_options(" + target + " PRIVATE -Wall -Wextra)\n";
  return s;
}

}  // namespace mlconv::cli::scaffold
