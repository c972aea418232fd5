// Fuzz target 6: bytes -> the .npy reader (`mlconv run --input NAME=FILE.npy`),
// then every conversion the executor and the comparisons use.
#include <cstdint>
#include <string_view>

#include "executor/io/npy.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/targets.h"

namespace mlconv::fuzz {

void npy(std::string_view bytes) {
  refuse_cleanly([&] {
    const auto array = mlconv::exec::io::parse_npy(bytes, "fuzz.npy");
    if (array.size() > 0) (void)array.value(array.size() - 1);
    (void)array.to_doubles();
    const auto tensor = array.to_tensor();
    (void)mlconv::exec::io::encode_npy(tensor);
  });
}

}  // namespace mlconv::fuzz

MLCONV_FUZZ_TARGET(npy)
