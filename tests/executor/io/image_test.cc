// Image decoding, resizing, color conversion and PNG writing. Tiny images are
// made here (stb_image_write) with pixel values chosen so every expected value
// can be computed by hand; floortje.png is checked against a pure-Python decode.
#include "executor/io/image.h"

#include <doctest/doctest.h>
#include <stb/stb_image_write.h>

#include <cmath>

#include "tests/executor/io/io_test_support.h"
#include "tests/executor/kernel_tester.h"

namespace mlconv::exec::io {
namespace {

using exec::testing::check_tensor;
using testing::error_of;
using testing::scratch;

void append(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

// Interleaved 8-bit pixels (comp channels) as a PNG, BMP or JPEG file in memory.
std::string png_of(int width, int height, int comp, const std::vector<unsigned char>& pixels) {
  std::string out;
  REQUIRE(stbi_write_png_to_func(append, &out, width, height, comp, pixels.data(), width * comp));
  return out;
}
std::string bmp_of(int width, int height, int comp, const std::vector<unsigned char>& pixels) {
  std::string out;
  REQUIRE(stbi_write_bmp_to_func(append, &out, width, height, comp, pixels.data()));
  return out;
}
std::string jpg_of(int width, int height, int comp, const std::vector<unsigned char>& pixels) {
  std::string out;
  REQUIRE(stbi_write_jpg_to_func(append, &out, width, height, comp, pixels.data(), 100));
  return out;
}

// A PNG signature and an IHDR chunk claiming width x height, with no pixel data
// (stb does not check chunk CRCs, so zeros do).
std::string png_header_claiming(std::uint32_t width, std::uint32_t height) {
  std::string out("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
  for (std::uint32_t v : {width, height})
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
  out += std::string("\x08\x02\0\0\0\0\0\0\0", 9);
  return out;
}

ImageReadOptions with(ColorLayout layout, std::int64_t width = 0, std::int64_t height = 0) {
  ImageReadOptions options;
  options.layout = layout;
  options.width = width;
  options.height = height;
  return options;
}

// Two pixels, red-ish and blue-ish, in a 2 x 1 RGB image.
const std::vector<unsigned char> kTwoPixels{200, 100, 50, 10, 20, 30};

TEST_CASE("image: PNG decodes to [C, H, W] in RGB, BGR and grayscale") {
  const std::string png = png_of(2, 1, 3, kTwoPixels);
  check_tensor(decode_image(png, "t.png"), {3, 1, 2}, {200, 10, 100, 20, 50, 30}, 0, 0);
  check_tensor(decode_image(png, "t.png", with(ColorLayout::bgr)), {3, 1, 2}, {50, 30, 100, 20, 200, 10}, 0, 0);
  // Rec. 601: 0.299*200 + 0.587*100 + 0.114*50 = 124.2; 0.299*10 + 0.587*20 + 0.114*30 = 18.15
  check_tensor(decode_image(png, "t.png", with(ColorLayout::grayscale)), {1, 1, 2}, {124, 18}, 0, 0);
  ImageReadOptions exact = with(ColorLayout::grayscale);
  exact.round_to_8bit = false;
  check_tensor(decode_image(png, "t.png", exact), {1, 1, 2}, {124.2F, 18.15F}, 1e-4F, 0);
  // Pure primaries: 0.299*255 = 76.245, 0.587*255 = 149.685, 0.114*255 = 29.07
  const std::string primaries = png_of(3, 1, 3, {255, 0, 0, 0, 255, 0, 0, 0, 255});
  check_tensor(decode_image(primaries, "p.png", with(ColorLayout::grayscale)), {1, 1, 3}, {76, 150, 29}, 0, 0);
}

TEST_CASE("image: grey files, alpha dropped, BMP and JPEG") {
  // A grey PNG is used as is for grayscale and replicated for RGB.
  const std::string grey = png_of(2, 1, 1, {7, 250});
  check_tensor(decode_image(grey, "g.png", with(ColorLayout::grayscale)), {1, 1, 2}, {7, 250}, 0, 0);
  check_tensor(decode_image(grey, "g.png"), {3, 1, 2}, {7, 250, 7, 250, 7, 250}, 0, 0);
  // Alpha is dropped, not composited or premultiplied: a transparent pixel keeps its color.
  const std::string rgba = png_of(2, 1, 4, {10, 20, 30, 0, 40, 50, 60, 255});
  check_tensor(decode_image(rgba, "a.png"), {3, 1, 2}, {10, 40, 20, 50, 30, 60}, 0, 0);
  const std::string grey_alpha = png_of(2, 1, 2, {9, 0, 99, 128});
  check_tensor(decode_image(grey_alpha, "ga.png", with(ColorLayout::grayscale)), {1, 1, 2}, {9, 99}, 0, 0);

  check_tensor(decode_image(bmp_of(2, 1, 3, kTwoPixels), "t.bmp"), {3, 1, 2}, {200, 10, 100, 20, 50, 30}, 0, 0);
  // A flat 8 x 8 JPEG at quality 100 decodes to its color within JPEG's rounding.
  std::vector<unsigned char> flat;
  for (int i = 0; i < 64; ++i) flat.insert(flat.end(), {100, 150, 200});
  const Tensor jpeg = decode_image(jpg_of(8, 8, 3, flat), "t.jpg");
  CHECK(jpeg.shape() == Shape{3, 8, 8});
  for (std::int64_t i = 0; i < 64; ++i) {
    CHECK(std::abs(jpeg.data()[i] - 100) <= 2);
    CHECK(std::abs(jpeg.data()[64 + i] - 150) <= 2);
    CHECK(std::abs(jpeg.data()[128 + i] - 200) <= 2);
  }
}

TEST_CASE("image: bilinear resize with half-pixel centers") {
  // 2x2 -> 4x4: output x maps to (x + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped to [0, 1].
  const Tensor small({1, 2, 2}, {0, 100, 200, 40});
  check_tensor(resize_bilinear(small, 4, 4), {1, 4, 4},
               {0, 25, 75, 100,            //
                50, 58.75F, 76.25F, 85,    // a quarter of the way to row 1
                150, 126.25F, 78.75F, 55,  //
                200, 160, 80, 40},
               1e-5F, 0);
  // Downscaling 4 -> 2 samples at 0.5 and 2.5: the mean of each pair (no wider filter).
  check_tensor(resize_bilinear(Tensor({1, 1, 4}, {10, 20, 30, 50}), 2, 1), {1, 1, 2}, {15, 40}, 1e-5F, 0);
  // 3x3 -> 2x2 samples at 0.25 and 1.75; on the plane 10 x + 30 y bilinear is exact.
  check_tensor(resize_bilinear(Tensor({1, 3, 3}, {0, 10, 20, 30, 40, 50, 60, 70, 80}), 2, 2), {1, 2, 2},
               {10, 25, 55, 70}, 1e-4F, 0);
  // Channels resize independently; 1x1 -> 3x2 replicates.
  check_tensor(resize_bilinear(Tensor({2, 1, 1}, {3, 9}), 3, 2), {2, 2, 3}, {3, 3, 3, 3, 3, 3, 9, 9, 9, 9, 9, 9}, 0, 0);
  // The same size is the identity, exactly.
  const Tensor odd({1, 2, 3}, {0.1F, 0.2F, 0.3F, 0.4F, 0.5F, 0.6F});
  check_tensor(resize_bilinear(odd, 3, 2), {1, 2, 3}, {0.1F, 0.2F, 0.3F, 0.4F, 0.5F, 0.6F}, 0, 0);
  CHECK(error_of([&] { resize_bilinear(odd, 0, 2); }) == "resize to 0 x 2 is not a positive width and height");
  CHECK(error_of([&] {
          resize_bilinear(Tensor({2, 2}), 1, 1);
        }) == "resize expects a non-empty [C, H, W] tensor, got [2, 2]");
}

TEST_CASE("image: decoding resizes to the model's size and rounds to 8-bit values") {
  const std::string png = png_of(2, 2, 1, {0, 100, 200, 40});
  // The 4x4 resize above, rounded: 58.75 -> 59, 76.25 -> 76, 126.25 -> 126, 78.75 -> 79.
  check_tensor(decode_image(png, "s.png", with(ColorLayout::grayscale, 4, 4)), {1, 4, 4},
               {0, 25, 75, 100, 50, 59, 76, 85, 150, 126, 79, 55, 200, 160, 80, 40}, 0, 0);
  // Width and height scale separately: 2x2 -> 3 wide, 1 high samples row (0 + 0.5) * 2 - 0.5 = 0.5,
  // which is [100, 70], at columns (x + 0.5) * 2/3 - 0.5 = -1/6, 0.5, 7/6, clamped to 0, 0.5, 1 -> 100, 85, 70.
  check_tensor(decode_image(png, "s.png", with(ColorLayout::grayscale, 3, 1)), {1, 1, 3}, {100, 85, 70}, 0, 0);
  CHECK(error_of([&] { decode_image(png, "s.png", with(ColorLayout::rgb, 5, 0)); }) ==
        "s.png: requested image size 5 x 0 is not a positive width and height (or 0 x 0 for the image's own)");
  // A model's size is checked like a file's, before anything is allocated.
  CHECK(error_of([&] { decode_image(png, "s.png", with(ColorLayout::rgb, 1000000, 1000000)); }) ==
        "s.png: requested image size 1000000 x 1000000 is more than the limit of 268435456 pixels");
}

TEST_CASE("image: floortje.png decodes to its known size and pixels") {
  const auto path = std::filesystem::path(MLCONV_REALMODELS_DIR) / "hollance_CoreML-Custom-Layers__floortje.png";
  const ImageInfo info = image_info(path);
  CHECK(info.width == 256);
  CHECK(info.height == 256);
  CHECK(info.channels == 3);
  // Expected pixels from a pure-Python (zlib + PNG unfiltering) decode of the file.
  const Tensor rgb = read_image(path);
  REQUIRE(rgb.shape() == Shape{3, 256, 256});
  auto pixel = [](const Tensor& t, std::int64_t x, std::int64_t y, std::int64_t c) {
    return t.data()[(c * t.dim(1) + y) * t.dim(2) + x];
  };
  CHECK(pixel(rgb, 0, 0, 0) == 181);
  CHECK(pixel(rgb, 0, 0, 1) == 160);
  CHECK(pixel(rgb, 0, 0, 2) == 162);
  CHECK(pixel(rgb, 128, 77, 0) == 153);
  CHECK(pixel(rgb, 128, 77, 1) == 161);
  CHECK(pixel(rgb, 128, 77, 2) == 174);
  CHECK(pixel(rgb, 255, 255, 2) == 65);
  double sum = 0, sum_red = 0;
  for (std::int64_t i = 0; i < rgb.size(); ++i) sum += rgb.data()[i];
  for (std::int64_t i = 0; i < 256 * 256; ++i) sum_red += rgb.data()[i];
  CHECK(sum == 29343959.0);
  CHECK(sum_red == 9969790.0);
  // BGR puts blue first; grayscale (128, 77) is 0.299*153 + 0.587*161 + 0.114*174 = 160.09.
  CHECK(pixel(read_image(path, with(ColorLayout::bgr)), 128, 77, 0) == 174);
  CHECK(pixel(read_image(path, with(ColorLayout::grayscale)), 128, 77, 0) == 160);
  // Halving samples between each 2x2 block: their mean, rounded (Python: floor(mean + 0.5)).
  const Tensor half = read_image(path, with(ColorLayout::rgb, 128, 128));
  REQUIRE(half.shape() == Shape{3, 128, 128});
  CHECK(pixel(half, 0, 0, 0) == 193);
  CHECK(pixel(half, 0, 0, 1) == 171);
  CHECK(pixel(half, 0, 0, 2) == 173);
  CHECK(pixel(half, 64, 38, 0) == 129);
  CHECK(pixel(half, 64, 38, 1) == 138);
  CHECK(pixel(half, 64, 38, 2) == 151);
  CHECK(pixel(half, 127, 127, 2) == 68);
  CHECK(read_image(path, with(ColorLayout::rgb, 224, 224)).shape() == Shape{3, 224, 224});
}

TEST_CASE("image: files that are not images, empty or too large are refused") {
  CHECK(error_of([] { decode_image(std::string("GIF89a\x01\0\x01\0", 10), "x.gif"); }) ==
        "x.gif: not a PNG, JPEG or BMP image (it starts with bytes 47 49 46 38 39 61 01 00)");
  CHECK(error_of([] { decode_image(png_header_claiming(0, 5), "z.png"); }) == "z.png: PNG image has no pixels (0 x 5)");
  CHECK(error_of([] { decode_image(png_header_claiming(100000, 100000), "big.png"); }) ==
        "big.png: PNG image of 100000 x 100000 = 10000000000 pixels is more than the limit of 268435456 pixels");
  ImageReadOptions small;
  small.max_pixels = 3;
  CHECK(error_of([&] {
          decode_image(png_of(2, 2, 1, {1, 2, 3, 4}), "four.png", small);
        }) == "four.png: PNG image of 2 x 2 = 4 pixels is more than the limit of 3 pixels");
  CHECK(error_of([&] { decode_image(bmp_of(2, 2, 3, std::vector<unsigned char>(12)), "four.bmp", small); }) ==
        "four.bmp: BMP image of 2 x 2 = 4 pixels is more than the limit of 3 pixels");
  // JPEG's size is found by stb's header parse, still before decoding.
  std::vector<unsigned char> flat(8 * 8 * 3, 128);
  CHECK(error_of([&] { decode_image(jpg_of(8, 8, 3, flat), "x.jpg", small); }) ==
        "x.jpg: JPEG image of 8 x 8 = 64 pixels is more than the limit of 3 pixels");
  // A PNG cut short after its header: the header reads, the pixels do not.
  const std::string whole = png_of(4, 4, 3, std::vector<unsigned char>(48, 77));
  CHECK(error_of([&] { decode_image(std::string_view(whole).substr(0, 40), "cut.png"); }) ==
        "cut.png: not a readable PNG image (stb: IDA); the file lacks the IEND chunk that ends every PNG, so it is "
        "probably truncated");
  CHECK(error_of([&] { decode_image(std::string_view(whole).substr(0, 12), "cut.png"); }) ==
        "cut.png: not a readable PNG image (stb: unknown image type); the file lacks the IEND chunk that ends every "
        "PNG, so it is probably truncated");
  // A complete file with a damaged chunk has no truncation hint.
  std::string damaged = whole;
  damaged[37] = 'X';  // "IDAT" -> "XDAT", an unknown critical chunk
  CHECK(error_of([&] { decode_image(damaged, "bad.png"); }) ==
        "bad.png: not a readable PNG image (stb: XDAT PNG chunk not known)");
  const std::string jpeg = jpg_of(8, 8, 3, flat);
  CHECK(error_of([&] {
          decode_image(std::string_view(jpeg).substr(0, 30), "cut.jpg");
        }).ends_with("; the file lacks the end marker that ends every JPEG, so it is probably truncated"));
  const auto missing = scratch("missing.png");
  CHECK(error_of([&] { read_image(missing); }) == missing.string() + ": cannot open: No such file or directory");
}

TEST_CASE("image: PNG writing rounds, clamps and orders channels") {
  // Values round half away from zero and clamp to 0..255; NaN becomes 0.
  const Tensor grey({1, 1, 6}, {-5, 300, 1.5F, 2.5F, 254.4F, std::nanf("")});
  check_tensor(decode_image(encode_png(grey), "w.png", with(ColorLayout::grayscale)), {1, 1, 6}, {0, 255, 2, 3, 254, 0},
               0, 0);
  // A BGR tensor is written as an RGB file: blue plane first in, red first out.
  const Tensor bgr({1, 3, 1, 2}, {50, 30, 100, 20, 200, 10});
  check_tensor(decode_image(encode_png(bgr, ColorLayout::bgr), "w.png"), {3, 1, 2}, {200, 10, 100, 20, 50, 30}, 0, 0);

  const auto path = scratch("out.png");
  const Tensor rgb({3, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  write_png(path, rgb);
  check_tensor(read_image(path), {3, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 0, 0);

  CHECK(error_of([&] {
          write_png(path, Tensor({2, 1, 1}));
        }) == path.string() + ": a PNG is written from 1 (grey) or 3 (color) channels, got [2, 1, 1]");
  CHECK(error_of([&] { encode_png(Tensor({4, 4})); }) == "a PNG is written from a [C, H, W] tensor, got [4, 4]");
  CHECK(error_of([&] {
          encode_png(Tensor({2, 3, 4, 4}));
        }) == "a PNG is written from a [C, H, W] tensor, got [2, 3, 4, 4]");
  CHECK(error_of([&] { encode_png(Tensor({3, 0, 4})); }) == "a PNG needs at least one pixel, got [3, 0, 4]");
  CHECK(error_of([&] {
          encode_png(Tensor({3, 1, 1}), ColorLayout::grayscale);
        }) == "a grayscale image has 1 channel, got [3, 1, 1]");
}

}  // namespace
}  // namespace mlconv::exec::io
