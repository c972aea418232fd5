// Images for `mlconv run`: PNG, JPEG and BMP files decoded (stb_image), resized
// to the model's input size, converted to its color layout, as a float [C, H, W]
// tensor of 0..255 values; and [C, H, W] tensors written back as 8-bit PNGs.
// Sampling and color formulas are in docs/executor/io.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "executor/tensor.h"

namespace mlconv::exec::io {

// The channel layouts of Core ML's ImageFeatureType (RGB, BGR, GRAYSCALE).
enum class ColorLayout { rgb, bgr, grayscale };

struct ImageReadOptions {
  ColorLayout layout = ColorLayout::rgb;
  // The model's input size; 0 keeps the image's own width and height.
  std::int64_t width = 0;
  std::int64_t height = 0;
  // Refused before decoding (from the file's header), so a small file claiming a
  // huge image costs nothing.
  std::int64_t max_pixels = std::int64_t{1} << 28;
  std::uint64_t max_bytes = std::uint64_t{1} << 30;
  // Round the result to integers, as the 8-bit pixel buffer Core ML receives
  // holds them; false keeps the fractions of resizing and luma.
  bool round_to_8bit = true;
};

struct ImageInfo {
  std::int64_t width = 0;
  std::int64_t height = 0;
  int channels = 0;  // in the file: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA
};

// Width, height and channels from the header alone; throws like read_image.
ImageInfo image_info(const std::filesystem::path& path, const ImageReadOptions& options = {});

// [3, H, W] for rgb and bgr, [1, H, W] for grayscale; values 0..255. Alpha is dropped, not composited. Throws
// mlconv::Error naming the file when it is not a PNG, JPEG or BMP, cannot be decoded, has no pixels, or has more than
// max_pixels.
Tensor read_image(const std::filesystem::path& path, const ImageReadOptions& options = {});
// The same from bytes in memory; `origin` names them in messages.
Tensor decode_image(std::string_view bytes, std::string_view origin, const ImageReadOptions& options = {});

// Bilinear resize of a [C, H, W] tensor with half-pixel centers; the same size
// returns a copy unchanged.
Tensor resize_bilinear(const Tensor& chw, std::int64_t width, std::int64_t height);

// Writes a [C, H, W] tensor (C = 1 for grey, 3 for color in `layout` order;
// leading axes of size 1 allowed) as an 8-bit PNG: values rounded to the nearest
// integer and clamped to 0..255, NaN written as 0. Atomic (temp file + rename).
void write_png(const std::filesystem::path& path, const Tensor& chw, ColorLayout layout = ColorLayout::rgb);
// The PNG bytes that write_png writes.
std::string encode_png(const Tensor& chw, ColorLayout layout = ColorLayout::rgb);

}  // namespace mlconv::exec::io
