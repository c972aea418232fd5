// Nested JSON arrays <-> tensors: shape inference, refusals with JSON paths,
// shortest-float output, round trips.
#include "executor/io/json_array.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "tests/executor/io/io_test_support.h"
#include "tests/executor/kernel_tester.h"

namespace mlconv::exec::io {
namespace {

using exec::testing::check_tensor;
using testing::error_of;
using testing::scratch;

Tensor parse(std::string_view text, const JsonReadOptions& options = {}) {
  return tensor_from_json(nlohmann::json::parse(text), "x.json", {}, options);
}

std::string refusal(std::string_view text, const JsonReadOptions& options = {}) {
  return error_of([&] { parse(text, options); });
}

TEST_CASE("json array: shapes come from the nesting") {
  check_tensor(parse("[[1, 2, 3], [4, 5, 6]]"), {2, 3}, {1, 2, 3, 4, 5, 6}, 0, 0);
  check_tensor(parse("[[[0.5]]]"), {1, 1, 1}, {0.5F}, 0, 0);
  check_tensor(parse("[-1e-3, 2.5e2]"), {2}, {-1e-3F, 250}, 0, 0);
  // A bare number is a 0-d tensor.
  check_tensor(parse("2.5"), {}, {2.5F}, 0, 0);
  // Integers round to the nearest float: np.float32(16777217) == 16777216, np.float32(2**64 - 1) == 1.8446744e19
  check_tensor(parse("[16777217, -9223372036854775808, 18446744073709551615]"), {3},
               {16777216.0F, -9.223372e18F, 1.8446744e19F}, 0, 0);
}

TEST_CASE("json array: ragged arrays are refused with the path of the odd one") {
  CHECK(refusal("[[[1,2,3,4],[1,2,3,4],[1,2,3,4]], [[1,2,3,4],[1,2,3,4],[1,2,3]]]") ==
        "x.json: [1][2] has 3 elements; its siblings have 4");
  CHECK(refusal("[[1, 2], [3]]") == "x.json: [1] has 1 element; its siblings have 2");
  CHECK(refusal("[[1], []]") == "x.json: [1] has 0 elements; its siblings have 1");
  CHECK(refusal("[[1, 2], 3]") == "x.json: [1] is a number; its siblings are arrays of 2 elements");
  CHECK(refusal("[[1, 2], [3, [4]]]") == "x.json: [1][1] is an array; its siblings are numbers");
  CHECK(refusal("[[1, 2], {\"a\": 1}]") ==
        "x.json: [1] is an object; expected an array of 2 elements like its siblings");
}

TEST_CASE("json array: non-numbers, empty arrays and out-of-range numbers are refused") {
  CHECK(refusal("[1, \"a\"]") == "x.json: [1] is a string; expected a number");
  CHECK(refusal("[[1, null]]") == "x.json: [0][1] is null; expected a number");
  CHECK(refusal("[true]") == "x.json: [0] is a boolean; expected a number");
  CHECK(refusal("[]") ==
        "x.json: the top-level value is an empty array; a tensor needs at least one element along every axis");
  CHECK(refusal("[[]]") == "x.json: [0] is an empty array; a tensor needs at least one element along every axis");
  CHECK(refusal("{\"a\": 1}") ==
        "x.json: the top-level value is an object; expected a number or nested arrays of numbers");
  CHECK(refusal("\"3\"") == "x.json: the top-level value is a string; expected a number or nested arrays of numbers");
  CHECK(refusal("[1, 1e39]") == "x.json: [1] is 1e+39, outside float32's range");
  CHECK(refusal("[[[[1]]]]", JsonReadOptions{.max_rank = 3}) ==
        "x.json: [0][0][0] nests arrays deeper than the rank limit of 3");
}

TEST_CASE("json array: a value inside a larger document names its place") {
  const auto document = nlohmann::json::parse(R"({"image": [[1, 2], [3]]})");
  CHECK(error_of([&] { tensor_from_json(document["image"], "in.json", "[\"image\"]"); }) ==
        "in.json: [\"image\"][1] has 1 element; its siblings have 2");
}

TEST_CASE("json array: reading files") {
  const auto path = scratch("input.json");
  testing::spit(path, "[[1, 2],\n [3, 4]]\n");
  check_tensor(read_json_tensor(path), {2, 2}, {1, 2, 3, 4}, 0, 0);
  testing::spit(path, "[1, 2");
  CHECK(error_of([&] { read_json_tensor(path); }) ==
        path.string() +
            ": not valid JSON: parse error at line 1, column 6: syntax error while parsing array - unexpected end of "
            "input; expected ']'");
  testing::spit(path, "[1e400]");
  CHECK(error_of([&] { read_json_tensor(path); }) ==
        path.string() + ": not valid JSON: number overflow parsing '1e400'");
  testing::spit(path, "[[1, 2], [3]]");
  CHECK(error_of([&] { read_json_tensor(path); }) == path.string() + ": [1] has 1 element; its siblings have 2");
  // Hostile nesting is refused before parsing; nesting within that, by the rank limit.
  testing::spit(path, std::string(100000, '[') + "1" + std::string(100000, ']'));
  CHECK(error_of([&] { read_json_tensor(path, JsonReadOptions{.max_rank = 2}); }) ==
        path.string() + ":1: arrays and objects nest more than 256 levels deep");
  testing::spit(path, "[[[1]]]");
  CHECK(error_of([&] { read_json_tensor(path, JsonReadOptions{.max_rank = 2}); }) ==
        path.string() + ": [0][0] nests arrays deeper than the rank limit of 2");
}

TEST_CASE("json array: writing compact arrays with shortest floats") {
  CHECK(tensor_to_json(Tensor({2, 3}, {1, 2.5F, 0.1F, -0.0F, 1e10F, 3})) == "[[1,2.5,0.1],[-0,1e+10,3]]");
  CHECK(tensor_to_json(Tensor({2, 1, 2}, {1, 2, 3, 4})) == "[[[1,2]],[[3,4]]]");
  CHECK(tensor_to_json(Tensor({}, {7.5F})) == "7.5");
  CHECK(tensor_to_json(Tensor({1}, {-4})) == "[-4]");
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(tensor_to_json(Tensor({4}, {std::nanf(""), inf, -inf, 1})) == "[null,null,null,1]");
  CHECK(tensor_to_json(Tensor({2, 0})) == "[[],[]]");
  CHECK(tensor_to_json(Tensor({0, 3})) == "[]");
}

TEST_CASE("json array: JSON values print the same shortest floats") {
  const Tensor tensor({2, 2}, {0.1F, 1, 0.3F, std::nanf("")});
  const nlohmann::json value = tensor_to_json_value(tensor);
  CHECK(value.dump() == "[[0.1,1.0],[0.3,null]]");
  CHECK(tensor_to_json_value(Tensor({}, {2.5F})).dump() == "2.5");
  CHECK(tensor_to_json_value(Tensor({2, 0})).dump() == "[[],[]]");
}

TEST_CASE("json array: every float survives a round trip") {
  const std::vector<float> values{0.1F, 1.0F / 3, 1e-45F, 3.4028235e38F, -1.17549435e-38F, 123456.789F};
  const Tensor tensor({2, 3}, values);
  const Tensor back = parse(tensor_to_json(tensor));
  const Tensor from_value = tensor_from_json(tensor_to_json_value(tensor), "v");
  for (std::size_t i = 0; i < values.size(); ++i) {
    CHECK(back.data()[i] == values[i]);
    CHECK(from_value.data()[i] == values[i]);
  }
  CHECK(back.shape() == Shape{2, 3});
}

}  // namespace
}  // namespace mlconv::exec::io
