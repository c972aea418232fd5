// Convert -> run -> compare for one ONNX backend node test case. Inputs are fed by the
// converted model's input names (an input_N.pb's name first, its position otherwise) and
// reshaped to the declared Core ML shape when the element counts agree: the converter
// decides how ONNX shapes map (rank-5 [C, H, W] drops the batch axis), so the comparison
// is element by element, as `mlconv run --expect` does. A batch of N items along ONNX
// axis 0 runs as N predictions, as an app makes batch predictions with a rank-5 model.
#include "tests/conformance/onnx_case_runner.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

#include "cli/run_compare.h"
#include "converter/convert.h"
#include "converter/frontends/onnx_tensor.h"
#include "executor/predictor.h"
#include "spec/error.h"

namespace mlconv::conformance {
namespace {

namespace fs = std::filesystem;
namespace cml = CoreML::Specification;

constexpr std::string_view unsupported_prefix = "unsupported ops: ";

// A stage failed; the message becomes the case's detail.
struct StageFailure {
  CaseClass result;
  std::string message;
};

// The first line of a message, without the file prefix every case shares.
std::string short_message(const std::exception& error, const fs::path& case_dir) {
  std::string text = error.what();
  if (const auto* ours = dynamic_cast<const Error*>(&error); ours != nullptr && !ours->file().empty() &&
                                                             text.starts_with(ours->file() + ": ")) {
    text.erase(0, ours->file().size() + 2);
  }
  for (const std::string& prefix : {(case_dir / "model.onnx").string(), case_dir.string()}) {
    for (std::size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix)) text.erase(at, prefix.size());
  }
  if (const auto newline = text.find('\n'); newline != std::string::npos) text.erase(newline);
  return text;
}

struct NamedTensor {
  std::string name;  // as the .pb file says; may be empty
  exec::Tensor tensor;
};

NamedTensor read_tensor_pb(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot open", Error::Kind::io).in_file(file.string());
  std::ostringstream bytes;
  bytes << in.rdbuf();
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes.str())) throw Error("not a serialized ONNX TensorProto").in_file(file.string());
  const std::string what = "tensor '" + proto.name() + "' in " + file.filename().string();
  const converter::TensorData data = converter::onnx_frontend::tensor_data(proto, what);
  exec::Shape shape(data.dims.begin(), data.dims.end());
  return NamedTensor{proto.name(), exec::Tensor(std::move(shape), data.to_floats())};
}

// input_0.pb, input_1.pb, ... in index order (not the directory's order).
std::vector<NamedTensor> read_numbered(const fs::path& dir, const std::string& stem) {
  std::vector<NamedTensor> tensors;
  for (int i = 0;; ++i) {
    const fs::path file = dir / (stem + "_" + std::to_string(i) + ".pb");
    if (!fs::exists(file)) break;
    tensors.push_back(read_tensor_pb(file));
  }
  return tensors;
}

// The features in `declared` matched to `given`: by name when one matches, else by position.
template <typename Features>
std::vector<std::pair<const cml::FeatureDescription*, const NamedTensor*>> match_features(
    const Features& declared, const std::vector<NamedTensor>& given, const std::string& what) {
  if (static_cast<std::size_t>(declared.size()) != given.size()) {
    throw Error("the converted model has " + std::to_string(declared.size()) + " " + what + "s; the test case has " +
                std::to_string(given.size()));
  }
  std::vector<std::pair<const cml::FeatureDescription*, const NamedTensor*>> pairs;
  for (int i = 0; i < declared.size(); ++i) {
    const cml::FeatureDescription& feature = declared[i];
    const auto by_name = std::find_if(given.begin(), given.end(), [&](const NamedTensor& t) { return t.name == feature.name(); });
    pairs.emplace_back(&feature, by_name != given.end() ? &*by_name : &given[static_cast<std::size_t>(i)]);
  }
  return pairs;
}

// The declared fixed shape of a MultiArray input; empty when flexible or undeclared.
exec::Shape fixed_shape(const cml::FeatureDescription& feature) {
  const cml::ArrayFeatureType& array = feature.type().multiarraytype();
  if (array.ShapeFlexibility_case() != cml::ArrayFeatureType::SHAPEFLEXIBILITY_NOT_SET) return {};
  return {array.shape().begin(), array.shape().end()};
}

// The predictions to make: one when every input fills its declared shape; N when a rank-5
// model declares [C, H, W] (no batch axis, as Core ML's batch predictions see it) and every
// input holds N such items along its ONNX axis 0.
std::vector<exec::FeatureMap> make_inputs(const cml::ModelDescription& description, const std::vector<NamedTensor>& given) {
  const auto pairs = match_features(description.input(), given, "input");
  std::int64_t batch = 0;  // 0: feed as given
  for (const auto& [feature, named] : pairs) {
    if (!feature->type().has_multiarraytype()) {
      throw Error("input '" + feature->name() + "' is " + exec::describe_feature_type(feature->type()) +
                  "; the runner feeds only MultiArray inputs");
    }
    const exec::Shape declared = fixed_shape(*feature);
    const exec::Tensor& tensor = named->tensor;
    const std::int64_t n = tensor.rank() > 0 ? tensor.shape()[0] : 0;
    const bool items = !declared.empty() && n > 1 && exec::element_count(declared) * n == tensor.size();
    if (batch == 0 && items && description.input_size() > 0) batch = n;
    if (batch != 0 && (!items || n != batch)) batch = -1;  // inputs disagree: feed as given
  }
  if (batch < 0) batch = 0;

  std::vector<exec::FeatureMap> runs(static_cast<std::size_t>(std::max<std::int64_t>(batch, 1)));
  for (const auto& [feature, named] : pairs) {
    const exec::Shape declared = fixed_shape(*feature);
    const auto type = feature->type().multiarraytype().datatype();
    for (std::size_t item = 0; item < runs.size(); ++item) {
      exec::Tensor tensor = named->tensor;
      if (batch > 0) {
        const std::int64_t count = exec::element_count(declared);
        const float* first = named->tensor.data() + static_cast<std::int64_t>(item) * count;
        tensor = exec::Tensor(declared, std::vector<float>(first, first + count));
      } else if (!declared.empty() && exec::element_count(declared) == tensor.size()) {
        tensor.reshape(declared);
      }
      runs[item][feature->name()] = exec::FeatureValue::array(std::move(tensor), type);
    }
  }
  return runs;
}

// The outputs of several predictions joined along a new leading axis, in order.
exec::FeatureMap join_items(std::vector<exec::FeatureMap> items) {
  if (items.size() == 1) return std::move(items.front());
  exec::FeatureMap joined = items.front();
  for (auto& [name, value] : joined) {
    if (value.kind != exec::FeatureValue::Kind::array) throw Error("output '" + name + "' is not a MultiArray");
    exec::Shape shape = value.tensor.shape();
    shape.insert(shape.begin(), static_cast<std::int64_t>(items.size()));
    std::vector<float> values;
    for (const exec::FeatureMap& item : items) {
      const exec::Tensor& part = item.at(name).tensor;
      if (part.shape() != items.front().at(name).tensor.shape()) throw Error("output '" + name + "' changes shape between batch items");
      values.insert(values.end(), part.values().begin(), part.values().end());
    }
    value.tensor = exec::Tensor(std::move(shape), std::move(values));
  }
  return joined;
}

// Runs `stage`, turning any exception into a StageFailure of class `result`.
template <typename F>
auto attempt(CaseClass result, const fs::path& case_dir, F&& stage) {
  try {
    return stage();
  } catch (const std::exception& error) {
    throw StageFailure{result, short_message(error, case_dir)};
  }
}

CaseResult run_case(const fs::path& case_dir, const exec::KernelRegistry& kernels, const Tolerance& tolerance) {
  CaseResult out;
  out.name = case_dir.filename().string();
  const fs::path data_dir = case_dir / "test_data_set_0";

  const cml::Model model = attempt(CaseClass::convert_fail, case_dir, [&] {
    const converter::ConvertOptions options;
    const converter::ConversionPlan plan = converter::plan_conversion(case_dir / "model.onnx", options);
    if (!plan.unsupported.empty()) {  // the op types only; require_supported's message adds rules to paste
      std::string ops;
      for (const converter::UnsupportedOp& op : plan.unsupported)
        ops += (ops.empty() ? "" : ", ") + (op.domain.empty() ? op.op_type : op.domain + "." + op.op_type);
      throw Error(std::string(unsupported_prefix) + ops);
    }
    return converter::export_model(plan, options);
  });

  exec::PredictorOptions options;
  options.kernels = &kernels;
  options.threads = 1;
  const auto predictor = attempt(CaseClass::run_fail, case_dir,
                                 [&] { return std::make_unique<exec::Predictor>(model, options); });
  const std::vector<NamedTensor> expected = attempt(CaseClass::run_fail, case_dir, [&] {
    if (!fs::is_directory(data_dir)) throw Error("the case has no test_data_set_0");
    return read_numbered(data_dir, "output");
  });
  const exec::FeatureMap outputs = attempt(CaseClass::run_fail, case_dir, [&] {
    std::vector<exec::FeatureMap> items;
    for (const exec::FeatureMap& inputs : make_inputs(model.description(), read_numbered(data_dir, "input")))
      items.push_back(predictor->predict(inputs));
    return join_items(std::move(items));
  });

  cli::Tolerances tolerances;
  tolerances.atol = tolerance.atol;
  tolerances.rtol = tolerance.rtol;
  std::string failed;
  attempt(CaseClass::mismatch, case_dir, [&] {
    for (const auto& [feature, reference] : match_features(model.description().output(), expected, "output")) {
      const auto actual = outputs.find(feature->name());
      if (actual == outputs.end()) throw Error("the model did not produce output '" + feature->name() + "'");
      const cli::Comparison c = cli::compare_output(feature->name(), actual->second, reference->tensor,
                                                    "output '" + reference->name + "'", tolerances);
      if (c.passed) continue;
      out.max_abs_error = std::max(out.max_abs_error, c.max_abs);
      std::ostringstream text;
      text << (failed.empty() ? "" : "; ") << "output '" << c.output << "': " << c.mismatches << " of " << c.count
           << " values differ, max abs error " << c.max_abs << " at " << c.max_abs_at;
      failed += text.str();
    }
  });
  out.result = failed.empty() ? CaseClass::pass : CaseClass::mismatch;
  out.detail = failed;
  return out;
}

}  // namespace

std::string_view case_class_name(CaseClass c) {
  switch (c) {
    case CaseClass::pass: return "pass";
    case CaseClass::convert_fail: return "convert-fail";
    case CaseClass::run_fail: return "run-fail";
    case CaseClass::mismatch: return "mismatch";
  }
  return "?";
}

CaseResult run_onnx_case(const fs::path& case_dir, const exec::KernelRegistry& kernels, const Tolerance& tolerance) {
  try {
    return run_case(case_dir, kernels, tolerance);
  } catch (const StageFailure& failure) {
    CaseResult out;
    out.name = case_dir.filename().string();
    out.result = failure.result;
    out.detail = failure.message;
    return out;
  }
}

}  // namespace mlconv::conformance
