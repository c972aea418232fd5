#include "cli/validate_tests.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "executor/io/image.h"
#include "executor/io/npy.h"
#include "executor/predictor.h"
#include "spec/error.h"

namespace mlconv::cli {

namespace cml = CoreML::Specification;
namespace fs = std::filesystem;
using spec::validation::Severity;

namespace {

ReportEntry entry(const std::string& where, const char* code, std::string message, std::string hint,
                  const std::string& file = {}) {
  spec::validation::Finding finding{.code = code,
                                    .severity = Severity::error,
                                    .where = where,
                                    .layer_name = {},
                                    .layer_type = {},
                                    .message = std::move(message),
                                    .hint = std::move(hint)};
  return ReportEntry{std::move(finding), "tests", file, 0};
}

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", v);
  return buffer;
}

std::string shape_text(const exec::Shape& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i == 0 ? "" : ", ") + std::to_string(shape[i]);
  return text + "]";
}

// The file in `dir` for feature `name`: NAME.npy, or for images NAME.png / NAME.jpg.
fs::path feature_file(const fs::path& dir, const std::string& name, bool image) {
  for (const char* extension : {".npy", ".png", ".jpg", ".jpeg"}) {
    const fs::path path = dir / (name + extension);
    std::error_code code;
    if (fs::is_regular_file(path, code) && (image || std::string(extension) == ".npy")) return path;
  }
  return {};
}

exec::FeatureMap read_inputs(const cml::ModelDescription& description, const fs::path& dir) {
  exec::FeatureMap inputs;
  for (const cml::FeatureDescription& input : description.input()) {
    const bool image = input.type().has_imagetype();
    const fs::path file = feature_file(dir, input.name(), image);
    if (file.empty()) {
      if (input.type().isoptional()) continue;
      throw Error("no file for input '" + input.name() + "' (expected " + (dir / (input.name() + ".npy")).string() +
                  (image ? " or an image file" : "") + ")");
    }
    if (image) {
      exec::Tensor pixels = file.extension() == ".npy" ? exec::io::read_npy(file).to_tensor() : exec::io::read_image(file);
      inputs.emplace(input.name(), exec::FeatureValue::image(std::move(pixels), input.type().imagetype().colorspace()));
    } else if (input.type().has_multiarraytype()) {
      inputs.emplace(input.name(), exec::FeatureValue::array(exec::io::read_npy(file).to_tensor(),
                                                             input.type().multiarraytype().datatype()));
    } else {
      throw Error("input '" + input.name() + "' is not an array or image; test vectors hold only those");
    }
  }
  return inputs;
}

// Compares one output; returns the finding when it is out of tolerance.
std::optional<ReportEntry> compare(const std::string& where, const std::string& name, const exec::Tensor& actual,
                                   const exec::io::NpyArray& expected, const fs::path& file,
                                   const TestVectorOptions& options) {
  if (actual.size() != expected.size()) {
    return entry(where, "E232",
                 "output '" + name + "' has shape " + shape_text(actual.shape()) + " (" + std::to_string(actual.size()) +
                     " values); " + file.filename().string() + " holds " + shape_text(expected.shape) + " (" +
                     std::to_string(expected.size()) + " values)",
                 "regenerate the expected output, or fix the layer's output shape", file.string());
  }
  std::int64_t mismatches = 0;
  std::int64_t worst = -1;
  double worst_excess = 0;
  const auto values = actual.values();
  for (std::int64_t i = 0; i < actual.size(); ++i) {
    const double a = values[static_cast<std::size_t>(i)];
    const double e = expected.value(i);
    const double allowed = options.atol + options.rtol * std::abs(e);
    const double diff = std::abs(a - e);
    // NaN passes only against NaN; a NaN difference is always a mismatch otherwise.
    const bool same = (std::isnan(a) && std::isnan(e)) || (a == e) || diff <= allowed;
    if (same) continue;
    ++mismatches;
    const double excess = std::isnan(diff) ? INFINITY : diff - allowed;
    if (worst < 0 || excess > worst_excess) {
      worst = i;
      worst_excess = excess;
    }
  }
  if (mismatches == 0) return std::nullopt;
  const double a = values[static_cast<std::size_t>(worst)];
  const double e = expected.value(worst);
  return entry(where, "E230",
               "output '" + name + "': " + std::to_string(mismatches) + " of " + std::to_string(actual.size()) +
                   " values differ from " + file.filename().string() + " by more than atol " + number(options.atol) +
                   " + rtol " + number(options.rtol) + " * |expected|; the worst is element " + std::to_string(worst) +
                   ": got " + number(a) + ", expected " + number(e),
               "fix the custom layer's implementation (or, if the reference is less precise, raise --atol/--rtol)",
               file.string());
}

}  // namespace

std::vector<ReportEntry> check_test_vectors(const cml::Model& model, const exec::KernelRegistry& kernels,
                                            const TestVectorOptions& options) {
  std::error_code code;
  if (!fs::is_directory(options.dir, code))
    throw Error("not a directory of test cases", Error::Kind::usage).in_file(options.dir);
  std::vector<fs::path> cases;
  for (const auto& item : fs::directory_iterator(options.dir, code))
    if (item.is_directory() && fs::is_directory(item.path() / "outputs")) cases.push_back(item.path());
  std::sort(cases.begin(), cases.end());
  if (cases.empty())
    throw Error("no test cases: expected DIR/<case>/inputs/*.npy and DIR/<case>/outputs/*.npy", Error::Kind::usage)
        .in_file(options.dir);

  std::vector<ReportEntry> out;
  exec::PredictorOptions predictor_options;
  predictor_options.kernels = &kernels;
  predictor_options.threads = 1;
  for (const fs::path& dir : cases) {
    const std::string test = "test case '" + dir.filename().string() + "'";
    try {
      exec::Predictor predictor(model, predictor_options);
      const exec::FeatureMap results = predictor.predict(read_inputs(model.description(), dir / "inputs"));
      std::vector<fs::path> expected;
      for (const auto& item : fs::directory_iterator(dir / "outputs"))
        if (item.path().extension() == ".npy") expected.push_back(item.path());
      std::sort(expected.begin(), expected.end());
      if (expected.empty()) throw Error("no expected outputs in " + (dir / "outputs").string());
      for (const fs::path& file : expected) {
        const std::string name = file.stem().string();
        const auto found = results.find(name);
        if (found == results.end() || found->second.kind != exec::FeatureValue::Kind::array) {
          out.push_back(entry(test, "E232", file.filename().string() + " names no array output of the model",
                              "name each expected file after a model output", file.string()));
          continue;
        }
        if (auto finding = compare(test, name, found->second.tensor, exec::io::read_npy(file), file, options))
          out.push_back(std::move(*finding));
      }
    } catch (const Error& error) {
      out.push_back(entry(test, "E231", std::string("the case could not run: ") + error.what(),
                          "fix the case's files or the plugin it reports"));
    }
  }
  return out;
}

std::vector<ReportEntry> check_class_test_vectors(const ClassTestVectors& vectors, exec::Kernel& kernel,
                                                  const TestVectorOptions& options) {
  const std::string binding = "binding '" + vectors.class_name + "'";
  std::vector<fs::path> cases;
  std::error_code code;
  for (const auto& item : fs::directory_iterator(vectors.dir, code))
    if (item.is_directory() && fs::is_directory(item.path() / "outputs")) cases.push_back(item.path());
  std::sort(cases.begin(), cases.end());
  if (cases.empty()) {
    return {entry(binding, "E231",
                  "testVectors " + vectors.dir.string() + " holds no test case (expected <case>/inputs/<input>.npy and "
                  "<case>/outputs/<output>.npy, named as the binding names the inputs and outputs)",
                  "add the cases, or remove testVectors", vectors.dir.string())};
  }
  std::vector<ReportEntry> out;
  exec::RunContext context;
  for (const fs::path& dir : cases) {
    const std::string where = binding + ", test case '" + dir.filename().string() + "'";
    try {
      std::vector<exec::Tensor> inputs;
      for (const std::string& name : vectors.inputs) {
        const fs::path file = dir / "inputs" / (name + ".npy");
        if (!fs::is_regular_file(file, code)) throw Error("no file for input '" + name + "' (expected " + file.string() + ")");
        inputs.push_back(exec::io::read_npy(file).to_tensor());
      }
      std::vector<exec::Tensor> results(vectors.outputs.size());
      std::vector<const exec::Tensor*> in;
      for (const exec::Tensor& tensor : inputs) in.push_back(&tensor);
      std::vector<exec::Tensor*> result_pointers;
      for (exec::Tensor& tensor : results) result_pointers.push_back(&tensor);
      kernel.run(in, result_pointers, context);
      bool any = false;
      for (std::size_t i = 0; i < vectors.outputs.size(); ++i) {
        const fs::path file = dir / "outputs" / (vectors.outputs[i] + ".npy");
        if (!fs::is_regular_file(file, code)) continue;  // a case may check only some outputs
        any = true;
        if (auto finding = compare(where, vectors.outputs[i], results[i], exec::io::read_npy(file), file, options))
          out.push_back(std::move(*finding));
      }
      if (!any) {
        out.push_back(entry(where, "E232", "no file in " + (dir / "outputs").string() + " names an output of the binding",
                            "name each expected file after an output in the binding's outputs"));
      }
    } catch (const Error& error) {
      out.push_back(entry(where, "E231", std::string("the case could not run: ") + error.what(),
                          "fix the case's files or the plugin it reports"));
    }
  }
  return out;
}

}  // namespace mlconv::cli
