// Tensors as nested JSON arrays of numbers, for `mlconv run` inputs given as
// .json and for its --json output. The shape is the nesting: [[1, 2, 3], [4, 5, 6]]
// is [2, 3]; a bare number is a 0-d tensor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "executor/tensor.h"

namespace mlconv::exec::io {

struct JsonReadOptions {
  std::uint64_t max_bytes = std::uint64_t{1} << 31;
  int max_rank = 32;
};

// Reads a file holding one number or one nested array of numbers. Throws
// mlconv::Error naming the file and the JSON path of what is wrong:
//   x.json: [1][2] has 3 elements; its siblings have 4
// Ragged arrays, empty arrays, non-numbers and numbers outside float32's range are refused.
Tensor read_json_tensor(const std::filesystem::path& path, const JsonReadOptions& options = {});

// The same for a value already parsed (one entry of a JSON object of inputs, say).
// `origin` names the file in messages and `path` is the value's place in it
// (e.g. `["image"]`), prefixed to every element path.
Tensor tensor_from_json(const nlohmann::json& value, std::string_view origin, std::string_view path = {},
                        const JsonReadOptions& options = {});

// Compact nested arrays ("[[1,2.5],[3,4]]"; a 0-d tensor is a bare number). Each
// float is written in the shortest form that reads back to the same float
// (0.1f as 0.1). JSON has no NaN or infinity: those are written as null, as
// JavaScript's JSON.stringify does.
std::string tensor_to_json(const Tensor& tensor);
// The same as a JSON value, to embed in a larger document; its numbers are the
// doubles nearest those shortest forms, so dump() prints them as above.
nlohmann::json tensor_to_json_value(const Tensor& tensor);

}  // namespace mlconv::exec::io
