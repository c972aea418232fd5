// `validate --tests DIR`: Apple's "test the custom layers" step without a
// device. Each case DIR/<case>/ holds inputs/<input name>.npy (or an image
// file for image inputs) and outputs/<output name>.npy; the model runs with
// the loaded plugins and each expected output is compared element by element:
// |actual - expected| <= atol + rtol * |expected| (codes E230..E232).
#pragma once

#include <filesystem>
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

// A bindings file's testVectors for one class: each case DIR/<case>/ holds
// inputs/<input>.npy and outputs/<output>.npy, named as the binding names the
// class's inputs and outputs; they run through `kernel` alone (the plugin's,
// made for the first layer of the class, so with that layer's parameters and
// weights). Same codes and comparison as check_test_vectors.
struct ClassTestVectors {
  std::string class_name;
  std::filesystem::path dir;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
};
std::vector<ReportEntry> check_class_test_vectors(const ClassTestVectors& vectors, exec::Kernel& kernel,
                                                  const TestVectorOptions& options);

}  // namespace mlconv::cli
