#include "cli/run_compare.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <sstream>

#include "cli/run_inputs.h"
#include "cli/run_outputs.h"
#include "spec/error.h"

namespace mlconv::cli {

namespace fs = std::filesystem;

namespace {

double parse_tolerance(const std::string& text, const std::string& option) {
  std::size_t used = 0;
  double value = -1;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !(value >= 0) || !std::isfinite(value))
    throw Error(option + " expects a non-negative number, got '" + text + "'", Error::Kind::usage);
  return value;
}

void parse_into(const std::vector<std::string>& items, const std::string& option, double& fallback,
                std::map<std::string, double>& overrides) {
  for (const std::string& item : items) {
    if (item.find('=') == std::string::npos) {
      fallback = parse_tolerance(item, option);
    } else {
      auto [name, value] = split_assignment(item, option);
      overrides[name] = parse_tolerance(value, option + " " + name);
    }
  }
}

std::string index_text(std::int64_t flat, const exec::Shape& shape) {
  exec::Shape index(shape.size(), 0);
  for (std::size_t axis = shape.size(); axis-- > 0;) {
    if (shape[axis] == 0) break;
    index[axis] = flat % shape[axis];
    flat /= shape[axis];
  }
  return exec::shape_to_string(index);
}

// A tolerance suggestion as printed (4 significant digits), rounded up so that
// passing the printed value really passes.
std::string rounded_up(double value) {
  if (!(value > 0) || !std::isfinite(value)) return value > 0 ? "inf" : "0";
  const double scale = std::pow(10.0, 3 - std::floor(std::log10(value)));
  std::ostringstream text;
  text << std::setprecision(4) << std::ceil(value * scale) / scale;
  return text.str();
}

}  // namespace

void parse_tolerances(const std::vector<std::string>& atol, const std::vector<std::string>& rtol, Tolerances& tolerances) {
  parse_into(atol, "--atol", tolerances.atol, tolerances.atol_for);
  parse_into(rtol, "--rtol", tolerances.rtol, tolerances.rtol_for);
}

void check_tolerance_names(const Tolerances& tolerances, const std::vector<std::string>& outputs) {
  auto check = [&](const std::map<std::string, double>& overrides, const std::string& option) {
    for (const auto& [name, value] : overrides) {
      if (std::find(outputs.begin(), outputs.end(), name) != outputs.end()) continue;
      std::string list;
      for (const std::string& output : outputs) list += (list.empty() ? "" : ", ") + output;
      throw Error(option + " names '" + name + "', which is not an output of the model; its outputs are: " + list);
    }
  };
  check(tolerances.atol_for, "--atol");
  check(tolerances.rtol_for, "--rtol");
}

Comparison compare_output(const std::string& name, const exec::FeatureValue& actual, const exec::Tensor& expected,
                          const std::string& reference, const Tolerances& tolerances) {
  Comparison result;
  result.output = name;
  result.reference = reference;
  result.atol = tolerances.atol_for.contains(name) ? tolerances.atol_for.at(name) : tolerances.atol;
  result.rtol = tolerances.rtol_for.contains(name) ? tolerances.rtol_for.at(name) : tolerances.rtol;
  if (actual.kind != exec::FeatureValue::Kind::array && actual.kind != exec::FeatureValue::Kind::image)
    throw Error("output '" + name + "' is a " + exec::feature_kind_name(actual.kind) +
                "; --expect compares only MultiArray and Image outputs");
  const exec::Tensor& got = actual.tensor;
  if (got.size() != expected.size())
    throw Error("output '" + name + "' has shape " + exec::shape_to_string(got.shape()) + " (" +
                std::to_string(got.size()) + " values); the reference has shape " +
                exec::shape_to_string(expected.shape()) + " (" + std::to_string(expected.size()) + " values)")
        .in_file(reference);
  if (got.shape() != expected.shape())
    result.note = "shapes differ (" + exec::shape_to_string(got.shape()) + " vs reference " +
                  exec::shape_to_string(expected.shape()) + "); compared element by element in order";
  result.count = got.size();
  double atol_needed = 0;
  double rtol_needed = 0;
  constexpr double infinity = std::numeric_limits<double>::infinity();
  for (std::int64_t i = 0; i < got.size(); ++i) {
    const double a = got.data()[i];
    const double e = expected.data()[i];
    // NaN matches only NaN and an infinity only itself; no tolerance bridges finite and not.
    double abs_error = 0;
    double rel_error = 0;
    bool mismatch = false;
    const bool same_special = (std::isnan(a) && std::isnan(e)) || (std::isinf(a) && a == e);
    if (!same_special && (!std::isfinite(a) || !std::isfinite(e))) {
      abs_error = infinity;
      rel_error = infinity;
      mismatch = true;
      atol_needed = infinity;
      rtol_needed = infinity;
      ++result.not_finite;
    } else if (!same_special) {
      abs_error = std::fabs(a - e);
      rel_error = abs_error == 0 ? 0 : e == 0 ? infinity : abs_error / std::fabs(e);
      mismatch = abs_error > result.atol + result.rtol * std::fabs(e);
      atol_needed = std::max(atol_needed, abs_error - result.rtol * std::fabs(e));
      const double over = abs_error - result.atol;
      if (over > 0) rtol_needed = std::max(rtol_needed, e == 0 ? infinity : over / std::fabs(e));
    }
    if (abs_error > result.max_abs || i == 0) {
      result.max_abs = abs_error;
      result.max_abs_at = index_text(i, got.shape());
    }
    if (rel_error > result.max_rel || i == 0) {
      result.max_rel = rel_error;
      result.max_rel_at = index_text(i, got.shape());
    }
    if (mismatch) ++result.mismatches;
  }
  result.atol_needed = atol_needed;
  result.rtol_needed = rtol_needed;
  result.passed = result.mismatches == 0;
  return result;
}

std::vector<std::pair<std::string, std::string>> expectations(const std::vector<std::string>& expect,
                                                              const std::string& expect_dir,
                                                              const std::vector<std::string>& outputs) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string& item : expect) {
    auto [name, file] = split_assignment(item, "--expect");
    if (std::find(outputs.begin(), outputs.end(), name) == outputs.end()) {
      std::string list;
      for (const std::string& output : outputs) list += (list.empty() ? "" : ", ") + output;
      throw Error("--expect names '" + name + "', which is not an output of the model; its outputs are: " + list);
    }
    pairs.emplace_back(name, file);
  }
  if (!expect_dir.empty()) {
    if (!fs::is_directory(expect_dir)) throw Error("--expect-dir: not a directory").in_file(expect_dir);
    std::size_t found = 0;
    for (const std::string& name : outputs) {
      const fs::path file = fs::path(expect_dir) / (file_stem_for(name) + ".npy");
      if (!fs::exists(file)) continue;
      ++found;
      bool already = false;
      for (const auto& pair : pairs) already = already || pair.first == name;
      if (!already) pairs.emplace_back(name, file.string());
    }
    if (found == 0) throw Error("--expect-dir holds no NAME.npy for any output of the model").in_file(expect_dir);
  }
  return pairs;
}

void print_comparisons(const std::vector<Comparison>& comparisons, std::ostream& out) {
  out << "Comparison (pass when |actual - expected| <= atol + rtol * |expected|)\n";
  for (const Comparison& c : comparisons) {
    out << "  " << c.output << "  " << (c.passed ? "PASS" : "FAIL") << "  vs " << c.reference << "\n";
    if (!c.note.empty()) out << "    note: " << c.note << "\n";
    out << std::setprecision(4) << "    max abs error " << c.max_abs << " at " << c.max_abs_at << ", max rel error "
        << c.max_rel << " at " << c.max_rel_at << "\n";
    out << "    " << c.mismatches << " of " << c.count << " elements outside atol " << c.atol << ", rtol " << c.rtol
        << "\n";
    if (c.not_finite > 0) {
      out << "    no tolerance passes: " << c.not_finite << " element" << (c.not_finite == 1 ? " is" : "s are")
          << " NaN or infinite on one side only\n";
    } else {
      out << "    would pass with --atol " << c.output << "=" << rounded_up(c.atol_needed) << " (at rtol " << c.rtol
          << ")";
      if (std::isfinite(c.rtol_needed))
        out << " or --rtol " << c.output << "=" << rounded_up(c.rtol_needed) << " (at atol " << c.atol << ")";
      out << "\n";
    }
    out << std::defaultfloat;
  }
}

}  // namespace mlconv::cli
