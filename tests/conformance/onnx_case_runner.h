// One ONNX backend node test case (`<case>/model.onnx` + `test_data_set_0/{input,output}_N.pb`)
// through the whole pipeline in-process: convert with the converter library, run the
// result with exec::Predictor and the built-in kernels, compare each output with the
// expected one. The result says which stage stopped the case and why.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "executor/kernel_registry.h"

namespace mlconv::conformance {

enum class CaseClass { pass, convert_fail, run_fail, mismatch };

// "pass", "convert-fail", "run-fail", "mismatch": the words of the report and docs.
std::string_view case_class_name(CaseClass c);

struct CaseResult {
  std::string name;        // the case directory's name, e.g. "test_relu"
  CaseClass result = CaseClass::run_fail;
  std::string detail;      // the converter's or executor's message, or the worst error
  double max_abs_error = 0;  // mismatch: the largest |actual - expected| over all outputs
};

struct Tolerance {
  double atol = 1e-4;
  double rtol = 1e-4;
};

// Never throws for what the case contains: every failure becomes a class and a message.
CaseResult run_onnx_case(const std::filesystem::path& case_dir, const exec::KernelRegistry& kernels,
                         const Tolerance& tolerance = {});

}  // namespace mlconv::conformance
