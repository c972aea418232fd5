// What `mlconv run` reports: a readable summary of each output (shape, type,
// statistics and first values; a classifier's top labels), the files of
// --output-dir, and the --json report.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "executor/features.h"

namespace mlconv::cli {

struct Latency {
  double load_ms = 0;
  double first_ms = 0;
  std::vector<double> repeat_ms;  // --repeat runs after the first
};

// A feature name made safe as a file name: path separators and control characters become '_'.
std::string file_stem_for(const std::string& feature_name);

// "float32", "float64", "float16", "int32".
std::string array_dtype_name(const exec::FeatureValue& value);

void print_outputs(const exec::FeatureMap& outputs, int top_k, std::ostream& out);
void print_latency(const Latency& latency, std::ostream& out);

// An array feature as .npy in its declared element type (float64 for Double, int64 for Int32,
// else float32), so NumPy reads back what the model declares.
void write_array_npy(const std::string& path, const exec::FeatureValue& value);

// NAME.npy per array output, NAME.json for dictionaries and labels, NAME.png + NAME.npy for images.
void write_output_dir(const exec::FeatureMap& outputs, const std::string& directory);

// {"outputs": {NAME: {"shape", "dtype", "data"}}, "load_ms", "latency_ms": {"first", "min", "median"}}
nlohmann::ordered_json outputs_json(const exec::FeatureMap& outputs, const Latency& latency);

double median(std::vector<double> values);

}  // namespace mlconv::cli
