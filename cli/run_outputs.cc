#include "cli/run_outputs.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <sstream>

#include "cli/inspect_report.h"
#include "cli/run_inputs.h"
#include "executor/io/image.h"
#include "executor/io/npy.h"
#include "spec/error.h"
#include "spec/model_io.h"

namespace mlconv::cli {

namespace cml = CoreML::Specification;
namespace fs = std::filesystem;
using Kind = exec::FeatureValue::Kind;

std::string file_stem_for(const std::string& feature_name) {
  std::string stem = feature_name;
  for (char& c : stem)
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = '_';
  if (stem == "." || stem == "..") stem = "_" + stem;
  return stem;
}

std::string array_dtype_name(const exec::FeatureValue& value) {
  switch (value.array_type) {
    case cml::ArrayFeatureType::DOUBLE: return "float64";
    case cml::ArrayFeatureType::FLOAT16: return "float16";
    case cml::ArrayFeatureType::INT32: return "int32";
    default: return "float32";
  }
}

double median(std::vector<double> values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

namespace {

std::string number(double value) {
  std::ostringstream text;
  text << std::setprecision(6) << value;
  return text.str();
}

struct Stats {
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  double mean = 0;
  std::int64_t non_finite = 0;
};

Stats stats_of(std::span<const float> values) {
  Stats stats;
  double sum = 0;
  std::int64_t finite = 0;
  for (float v : values) {
    if (!std::isfinite(v)) {
      ++stats.non_finite;
      continue;
    }
    stats.min = std::min<double>(stats.min, v);
    stats.max = std::max<double>(stats.max, v);
    sum += v;
    ++finite;
  }
  stats.mean = finite ? sum / static_cast<double>(finite) : std::numeric_limits<double>::quiet_NaN();
  return stats;
}

// Entries of a probability dictionary, highest first, as text.
std::vector<std::pair<std::string, double>> ranked(const exec::FeatureValue& value) {
  std::vector<std::pair<std::string, double>> entries;
  if (value.int64_keys)
    for (const auto& [key, p] : value.int_entries) entries.emplace_back(std::to_string(key), p);
  else
    entries = value.string_entries;
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return entries;
}

nlohmann::ordered_json dictionary_json(const exec::FeatureValue& value) {
  nlohmann::ordered_json data = nlohmann::ordered_json::object();
  if (value.int64_keys)
    for (const auto& [key, p] : value.int_entries) data[std::to_string(key)] = json_number(p);
  else
    for (const auto& [key, p] : value.string_entries) data[key] = json_number(p);
  return data;
}

void write_text_file(const fs::path& path, const std::string& text) {
  spec::write_file_atomically(path.string(), text);
}

}  // namespace

void print_outputs(const exec::FeatureMap& outputs, int top_k, std::ostream& out) {
  out << "Outputs\n";
  std::size_t width = 0;
  for (const auto& [name, value] : outputs) width = std::max(width, name.size());
  for (const auto& [name, value] : outputs) {
    out << "  " << std::left << std::setw(static_cast<int>(width)) << name << "  ";
    switch (value.kind) {
      case Kind::array:
      case Kind::image: {
        const auto values = value.tensor.values();
        const Stats stats = stats_of(values);
        out << (value.kind == Kind::image ? "Image " + std::string(value.color_space == cml::ImageFeatureType::BGR ? "BGR"
                                                                    : value.color_space == cml::ImageFeatureType::RGB ? "RGB"
                                                                                                                      : "GRAYSCALE")
                                          : "MultiArray " + array_dtype_name(value))
            << " " << exec::shape_to_string(value.tensor.shape()) << "  min " << number(stats.min) << "  max "
            << number(stats.max) << "  mean " << number(stats.mean);
        if (stats.non_finite) out << "  non-finite " << stats.non_finite;
        out << "\n" << std::string(width + 4, ' ') << "first:";
        const std::size_t shown = std::min<std::size_t>(values.size(), 8);
        for (std::size_t i = 0; i < shown; ++i) out << " " << number(values[i]);
        if (values.size() > shown) out << " ...";
        out << "\n";
        break;
      }
      case Kind::string: out << "String \"" << value.text << "\"\n"; break;
      case Kind::int64: out << "Int64 " << value.integer << "\n"; break;
      case Kind::double_: out << "Double " << number(value.number) << "\n"; break;
      case Kind::dictionary: {
        const auto entries = ranked(value);
        out << "Dictionary (" << entries.size() << " entries), top " << std::min<std::size_t>(entries.size(), top_k)
            << ":\n";
        for (std::size_t i = 0; i < entries.size() && i < static_cast<std::size_t>(top_k); ++i)
          out << std::string(width + 4, ' ') << std::fixed << std::setprecision(4) << entries[i].second
              << std::defaultfloat << "  " << entries[i].first << "\n";
        break;
      }
    }
  }
}

void print_latency(const Latency& latency, std::ostream& out) {
  out << "Timing\n  load   " << std::fixed << std::setprecision(2) << latency.load_ms << " ms\n  first  "
      << latency.first_ms << " ms\n";
  if (!latency.repeat_ms.empty()) {
    out << "  then   min " << *std::min_element(latency.repeat_ms.begin(), latency.repeat_ms.end()) << " ms, median "
        << median(latency.repeat_ms) << " ms over " << latency.repeat_ms.size() << " runs\n";
  }
  out << std::defaultfloat;
}

void write_array_npy(const std::string& path, const exec::FeatureValue& value) {
  if (value.array_type == cml::ArrayFeatureType::DOUBLE) {
    std::vector<double> wide(value.tensor.values().begin(), value.tensor.values().end());
    exec::io::write_npy(path, value.tensor.shape(), wide);
  } else if (value.array_type == cml::ArrayFeatureType::INT32) {
    std::vector<std::int64_t> ints;
    for (float v : value.tensor.values()) ints.push_back(static_cast<std::int64_t>(std::llround(v)));
    exec::io::write_npy(path, value.tensor.shape(), ints);
  } else {
    exec::io::write_npy(path, value.tensor);
  }
}

void write_output_dir(const exec::FeatureMap& outputs, const std::string& directory) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) throw Error("cannot create directory: " + ec.message(), Error::Kind::io).in_file(directory);
  for (const auto& [name, value] : outputs) {
    const fs::path base = fs::path(directory) / file_stem_for(name);
    switch (value.kind) {
      case Kind::array: write_array_npy(base.string() + ".npy", value); break;
      case Kind::image:
        exec::io::write_npy(base.string() + ".npy", value.tensor);
        exec::io::write_png(base.string() + ".png", value.tensor, color_layout(value.color_space));
        break;
      case Kind::dictionary: write_text_file(base.string() + ".json", dictionary_json(value).dump(2) + "\n"); break;
      case Kind::string: write_text_file(base.string() + ".json", nlohmann::json(value.text).dump() + "\n"); break;
      case Kind::int64: write_text_file(base.string() + ".json", std::to_string(value.integer) + "\n"); break;
      case Kind::double_: write_text_file(base.string() + ".json", json_number(value.number).dump() + "\n"); break;
    }
  }
}

nlohmann::ordered_json outputs_json(const exec::FeatureMap& outputs, const Latency& latency) {
  nlohmann::ordered_json report;
  nlohmann::ordered_json features = nlohmann::ordered_json::object();
  for (const auto& [name, value] : outputs) {
    nlohmann::ordered_json entry;
    switch (value.kind) {
      case Kind::array:
      case Kind::image: {
        entry["shape"] = value.tensor.shape();
        entry["dtype"] = value.kind == Kind::image ? "image" : array_dtype_name(value);
        nlohmann::ordered_json data = nlohmann::ordered_json::array();
        for (float v : value.tensor.values()) data.push_back(json_number(shortest_double(v)));
        entry["data"] = std::move(data);
        break;
      }
      case Kind::dictionary:
        entry["dtype"] = "dictionary";
        entry["data"] = dictionary_json(value);
        break;
      case Kind::string:
        entry["dtype"] = "string";
        entry["data"] = value.text;
        break;
      case Kind::int64:
        entry["dtype"] = "int64";
        entry["data"] = value.integer;
        break;
      case Kind::double_:
        entry["dtype"] = "float64";
        entry["data"] = json_number(value.number);
        break;
    }
    features[name] = std::move(entry);
  }
  report["outputs"] = std::move(features);
  report["load_ms"] = json_number(latency.load_ms);
  nlohmann::ordered_json timing;
  timing["first"] = json_number(latency.first_ms);
  if (!latency.repeat_ms.empty()) {
    timing["min"] = json_number(*std::min_element(latency.repeat_ms.begin(), latency.repeat_ms.end()));
    timing["median"] = json_number(median(latency.repeat_ms));
    timing["runs"] = latency.repeat_ms.size();
  }
  report["latency_ms"] = std::move(timing);
  return report;
}

}  // namespace mlconv::cli
