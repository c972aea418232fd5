// Fuzz target 7: bytes -> image decoding (`mlconv run --input NAME=FILE.png`),
// with each colour layout and a resize, as a model's image input asks for. The
// layout and size come from the input's length, so the file's own bytes
// (magic numbers included) stay what the fuzzer wrote.
#include <cstdint>
#include <string_view>

#include "executor/io/image.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/targets.h"

namespace mlconv::fuzz {

void image(std::string_view bytes) {
  namespace io = mlconv::exec::io;
  io::ImageReadOptions options;
  options.layout = static_cast<io::ColorLayout>(bytes.size() % 3);
  options.width = static_cast<std::int64_t>(bytes.size() % 7) * 5;  // 0 keeps the image's own size
  options.height = static_cast<std::int64_t>(bytes.size() % 5) * 7;
  // A fuzz input must not cost gigabytes or seconds: a 3-Mpixel BMP took ~1 s under ASan
  // (decode, copy, PNG encode) and timed out on a loaded machine.
  options.max_pixels = std::int64_t{1} << 20;
  options.round_to_8bit = bytes.size() % 2 == 0;
  refuse_cleanly([&] {
    const auto tensor = io::decode_image(bytes, "fuzz.png", options);
    (void)io::encode_png(tensor, options.layout);
  });
}

}  // namespace mlconv::fuzz

MLCONV_FUZZ_TARGET(image)
