// The code path of each fuzz target, one function per file in fuzz/. The libFuzzer
// executables call them from LLVMFuzzerTestOneInput; tests/fuzz/regressions_test.cc
// calls them with every input a fuzzer once crashed on (tests/fixtures/fuzz/<target>/),
// so a regression shows up in the ordinary test suite, sanitizers or not.
// Each returns normally for input it accepts and for input refused with
// mlconv::Error; anything else escaping (another exception, a crash) is a bug.
#pragma once

#include <string_view>

namespace mlconv::fuzz {

void model_inspect(std::string_view bytes);  // .mlmodel -> load, inspect, validate
void model_run(std::string_view bytes);      // .mlmodel -> load, run on random inputs (under limits)
void json_graph(std::string_view bytes);     // JSON graph -> convert
void rules(std::string_view bytes);          // rules JSON -> load, apply to the examples, convert
void onnx(std::string_view bytes);           // ONNX -> convert
void npy(std::string_view bytes);            // .npy -> array, tensor
void image(std::string_view bytes);          // PNG/JPEG/BMP -> tensor, resized, re-encoded

}  // namespace mlconv::fuzz

// Defines the libFuzzer entry point for one target; only the fuzz executables
// (fuzz/CMakeLists.txt) define MLCONV_FUZZ_ENTRY_POINT.
#ifdef MLCONV_FUZZ_ENTRY_POINT
#include <cstddef>
#include <cstdint>
#define MLCONV_FUZZ_TARGET(function)                                                   \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    mlconv::fuzz::function({reinterpret_cast<const char*>(data), size});               \
    return 0;                                                                          \
  }
#else
#define MLCONV_FUZZ_TARGET(function)
#endif
