// `validate --tests DIR`: Apple's "test the custom layers" step without a
// device. Each case DIR/<case>/ holds inputs/<input name>.npy (or an image
// file for image inputs) and outputs/<output name>.npy; the model runs with
// the loaded plugins and each expected output is compared element by element:
// |actual - expected| <= atol + rtol * |expected| (codes E230..E232).
#pragma once

#include <string>
#include <vector>

#include "Model.pb.h"
#include "cli/validate_report.h"
#include "executor/kernel_registry.h"

namespace mlconv::cli {

struct TestVectorOptions {
  std::string dir;
  double atol = 1e-5;
  double rtol = 1e-5;
};

// Throws mlconv::Error (usage) when DIR is no directory or holds no case.
std::vector<ReportEntry> check_test_vectors(const CoreML::Specification::Model& model,
                                            const exec::KernelRegistry& kernels, const TestVectorOptions& options);

}  // namespace mlconv::cli
