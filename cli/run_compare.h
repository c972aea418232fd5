// --expect: compares outputs with reference arrays the way Polygraphy does:
// an element passes when |actual - expected| <= atol + rtol * |expected|;
// the report gives the worst absolute and relative errors, where they occur,
// and the smallest tolerances that would have passed.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "executor/features.h"

namespace mlconv::cli {

struct Tolerances {
  double atol = 1e-5;
  double rtol = 1e-5;
  std::map<std::string, double> atol_for;  // per-output overrides
  std::map<std::string, double> rtol_for;
};

// Parses --atol/--rtol values: "X" sets the default, "NAME=X" an override.
void parse_tolerances(const std::vector<std::string>& atol, const std::vector<std::string>& rtol, Tolerances& tolerances);

// Every per-output override must name an output of the model: a typo would otherwise leave
// the default in force without a word.
void check_tolerance_names(const Tolerances& tolerances, const std::vector<std::string>& outputs);

struct Comparison {
  std::string output;
  std::string reference;  // the file compared with
  bool passed = false;
  std::string note;       // e.g. shapes differ but element counts agree
  double max_abs = 0;
  std::string max_abs_at;  // "[0, 3]"
  double max_rel = 0;
  std::string max_rel_at;
  std::int64_t mismatches = 0;
  std::int64_t not_finite = 0;  // mismatches where one side is NaN or infinite and the other is not
  std::int64_t count = 0;
  double atol = 0;
  double rtol = 0;
  double atol_needed = 0;  // smallest atol that passes at this rtol
  double rtol_needed = 0;  // smallest rtol that passes at this atol (inf when impossible)
};

Comparison compare_output(const std::string& name, const exec::FeatureValue& actual, const exec::Tensor& expected,
                          const std::string& reference, const Tolerances& tolerances);

// --expect NAME=FILE and --expect-dir DIR to (output, file) pairs; every name must be a model output.
std::vector<std::pair<std::string, std::string>> expectations(const std::vector<std::string>& expect,
                                                              const std::string& expect_dir,
                                                              const std::vector<std::string>& outputs);

void print_comparisons(const std::vector<Comparison>& comparisons, std::ostream& out);

}  // namespace mlconv::cli
