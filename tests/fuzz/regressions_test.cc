// Every input a fuzz target once failed on (tests/fixtures/fuzz/<target>/), run
// through that target's code path (fuzz/targets.h) in the ordinary test suite:
// each must now load, run or convert, or be refused with mlconv::Error.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <string_view>

#include "fuzz/targets.h"

namespace {

namespace fs = std::filesystem;
using TargetFunction = void (*)(std::string_view);

const std::map<std::string, TargetFunction>& targets() {
  static const std::map<std::string, TargetFunction> table = {
      {"model_inspect", mlconv::fuzz::model_inspect}, {"model_run", mlconv::fuzz::model_run},
      {"json_graph", mlconv::fuzz::json_graph},       {"rules", mlconv::fuzz::rules},
      {"onnx", mlconv::fuzz::onnx},                   {"npy", mlconv::fuzz::npy},
      {"image", mlconv::fuzz::image},
  };
  return table;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("fuzz: every saved fuzz finding is handled by its target's code path") {
  const fs::path root = fs::path(MLCONV_SOURCE_DIR) / "tests/fixtures/fuzz";
  int inputs = 0;
  for (const auto& target_dir : fs::directory_iterator(root)) {
    if (!target_dir.is_directory()) continue;
    const std::string target = target_dir.path().filename().string();
    const auto found = targets().find(target);
    INFO("tests/fixtures/fuzz/" << target << " names no fuzz target");
    REQUIRE(found != targets().end());
    for (const auto& input : fs::directory_iterator(target_dir.path())) {
      CAPTURE(input.path().string());
      const std::string bytes = read_bytes(input.path());
      CHECK_NOTHROW(found->second(bytes));
      ++inputs;
    }
  }
  MESSAGE(inputs << " saved fuzz inputs replayed");
}

TEST_CASE("fuzz: the targets refuse garbage with mlconv::Error, not another exception") {
  const std::string garbage = "\x08\x96\x01not a model, graph, rules file, array or image\xff\xfe";
  for (const auto& entry : targets()) {
    const auto& name = entry.first;
    const auto& run = entry.second;
    CAPTURE(name);
    CHECK_NOTHROW(run(garbage));
    CHECK_NOTHROW(run(std::string_view{}));
  }
}
