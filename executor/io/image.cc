// Image decoding and PNG writing over stb_image / stb_image_write (Debian's
// libstb), plus the bilinear resize and color conversion Core ML's callers
// (Vision, CoreImage) apply before a pixel buffer reaches the model.
#include "executor/io/image.h"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <memory>

#include "executor/io/file_bytes.h"
#include "spec/error.h"
#include "spec/model_io.h"

namespace mlconv::exec::io {
namespace {

// Rec. 601 luma, the weights CoreImage and vImage use for RGB -> grey.
constexpr float kLumaR = 0.299F;
constexpr float kLumaG = 0.587F;
constexpr float kLumaB = 0.114F;

// stb also reads GIF, TGA, PSD, HDR and PNM; only the formats we document get through.
std::string_view format_of(std::string_view bytes) {
  if (bytes.starts_with("\x89PNG\r\n\x1a\n")) return "PNG";
  if (bytes.starts_with("\xff\xd8\xff")) return "JPEG";
  if (bytes.starts_with("BM")) return "BMP";
  return {};
}

std::string leading_bytes(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < std::min<std::size_t>(bytes.size(), 8); ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    if (i) out += ' ';
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
  }
  return out;
}

// stb's reason, and a plainer one when the file is cut short: stb reads zeros
// past the end and then reports whatever they look like ("IDA" for a cut chunk name).
std::string unreadable(std::string_view format, std::string_view bytes) {
  const char* reason = stbi_failure_reason();
  std::string message =
      "not a readable " + std::string(format) + " image (stb: " + (reason ? reason : "unknown error") + ")";
  const bool cut = (format == "PNG" && bytes.substr(bytes.size() >= 8 ? bytes.size() - 8 : 0, 4) != "IEND") ||
                   (format == "JPEG" && !bytes.ends_with("\xff\xd9"));
  if (cut)
    message += "; the file lacks the " + std::string(format == "PNG" ? "IEND chunk" : "end marker") +
               " that ends every " + std::string(format) + ", so it is probably truncated";
  return message;
}

struct Header {
  std::string_view format;
  ImageInfo info;
};

std::uint32_t big_endian32(std::string_view bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value = value << 8 | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

std::int64_t little_endian(std::string_view bytes, std::size_t at, std::size_t size) {
  std::uint32_t value = 0;
  for (std::size_t i = size; i-- > 0;) value = value << 8 | static_cast<unsigned char>(bytes[at + i]);
  return size == 4 ? std::int64_t{static_cast<std::int32_t>(value)} : std::int64_t{value};
}

void check_pixels(std::string_view format, std::int64_t width, std::int64_t height, const ImageReadOptions& options) {
  if (width <= 0 || height <= 0) {
    throw Error(std::string(format) + " image has no pixels (" + std::to_string(width) + " x " +
                std::to_string(height) + ")");
  }
  if (width > options.max_pixels / height) {
    throw Error(std::string(format) + " image of " + std::to_string(width) + " x " + std::to_string(height) + " = " +
                std::to_string(static_cast<std::uint64_t>(width) * static_cast<std::uint64_t>(height)) +
                " pixels is more than the limit of " + std::to_string(options.max_pixels) + " pixels");
  }
}

// PNG and BMP say their size at fixed offsets. Reading it here lets a huge or
// empty claim be refused with its numbers, where stb would say only "too large".
void check_declared_size(std::string_view format, std::string_view bytes, const ImageReadOptions& options) {
  if (format == "PNG" && bytes.size() >= 24 && bytes.substr(12, 4) == "IHDR") {
    check_pixels(format, big_endian32(bytes, 16), big_endian32(bytes, 20), options);
  } else if (format == "BMP" && bytes.size() >= 26) {
    const std::int64_t info_size = little_endian(bytes, 14, 4);
    // OS/2 headers (12 bytes) have 16-bit sizes; later ones 32-bit, a negative height meaning top-down rows.
    if (info_size == 12) {
      check_pixels(format, little_endian(bytes, 18, 2), little_endian(bytes, 20, 2), options);
    } else if (info_size >= 40) {
      check_pixels(format, little_endian(bytes, 18, 4), std::abs(little_endian(bytes, 22, 4)), options);
    }
  }
}

Header check_header(std::string_view bytes, const ImageReadOptions& options) {
  const std::string_view format = format_of(bytes);
  if (format.empty()) throw Error("not a PNG, JPEG or BMP image (it starts with bytes " + leading_bytes(bytes) + ")");
  if (bytes.size() > static_cast<std::size_t>(INT_MAX))
    throw Error(std::string(format) + " file of " + std::to_string(bytes.size()) + " bytes is too large to decode");
  check_declared_size(format, bytes, options);
  int width = 0, height = 0, channels = 0;
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  if (!stbi_info_from_memory(data, static_cast<int>(bytes.size()), &width, &height, &channels))
    throw Error(unreadable(format, bytes));
  check_pixels(format, width, height, options);
  return Header{format, ImageInfo{width, height, channels}};
}

void check_requested_size(const ImageReadOptions& options) {
  const std::int64_t width = options.width, height = options.height;
  if (width < 0 || height < 0 || (width == 0) != (height == 0)) {
    throw Error("requested image size " + std::to_string(width) + " x " + std::to_string(height) +
                " is not a positive width and height (or 0 x 0 for the image's own)");
  }
  if (width > 0 && width > options.max_pixels / height) {
    throw Error("requested image size " + std::to_string(width) + " x " + std::to_string(height) +
                " is more than the limit of " + std::to_string(options.max_pixels) + " pixels");
  }
}

// For output coordinate i: the two source rows/columns and the weight of the second.
struct Tap {
  std::int64_t first;
  std::int64_t second;
  float weight;
};

std::vector<Tap> taps(std::int64_t in, std::int64_t out) {
  std::vector<Tap> result(static_cast<std::size_t>(out));
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  for (std::int64_t i = 0; i < out; ++i) {
    // Pixel centers sit at k + 0.5 in both images; edges clamp.
    const double source = std::clamp((static_cast<double>(i) + 0.5) * scale - 0.5, 0.0, static_cast<double>(in - 1));
    const auto first = static_cast<std::int64_t>(std::floor(source));
    const std::int64_t second = std::min(first + 1, in - 1);
    result[static_cast<std::size_t>(i)] = Tap{first, second, static_cast<float>(source - static_cast<double>(first))};
  }
  return result;
}

}  // namespace

Tensor resize_bilinear(const Tensor& chw, std::int64_t width, std::int64_t height) {
  if (chw.rank() != 3 || chw.size() == 0)
    throw Error("resize expects a non-empty [C, H, W] tensor, got " + shape_to_string(chw.shape()));
  if (width <= 0 || height <= 0) {
    throw Error("resize to " + std::to_string(width) + " x " + std::to_string(height) +
                " is not a positive width and height");
  }
  const std::int64_t channels = chw.dim(0), in_h = chw.dim(1), in_w = chw.dim(2);
  if (in_h == height && in_w == width) return chw;
  const std::vector<Tap> rows = taps(in_h, height);
  const std::vector<Tap> cols = taps(in_w, width);
  Tensor out({channels, height, width});
  for (std::int64_t c = 0; c < channels; ++c) {
    const float* plane = chw.data() + c * in_h * in_w;
    float* target = out.data() + c * height * width;
    for (std::int64_t y = 0; y < height; ++y) {
      const Tap& row = rows[static_cast<std::size_t>(y)];
      const float* top = plane + row.first * in_w;
      const float* bottom = plane + row.second * in_w;
      for (std::int64_t x = 0; x < width; ++x) {
        const Tap& col = cols[static_cast<std::size_t>(x)];
        const float upper = top[col.first] + col.weight * (top[col.second] - top[col.first]);
        const float lower = bottom[col.first] + col.weight * (bottom[col.second] - bottom[col.first]);
        target[y * width + x] = upper + row.weight * (lower - upper);
      }
    }
  }
  return out;
}

Tensor decode_image(std::string_view bytes, std::string_view origin, const ImageReadOptions& options) {
  try {
    check_requested_size(options);
    const Header header = check_header(bytes, options);
    // Grey files stay one channel so a grey model reads them without a round trip through RGB.
    const int wanted = header.info.channels <= 2 ? 1 : 3;
    int width = 0, height = 0, channels = 0;
    std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
        stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()), &width,
                              &height, &channels, wanted),
        stbi_image_free);
    if (!pixels) throw Error(unreadable(header.format, bytes));
    if (width != header.info.width || height != header.info.height) {
      throw Error(std::string(header.format) + " image decodes to " + std::to_string(width) + " x " +
                  std::to_string(height) + " but its header says " + std::to_string(header.info.width) + " x " +
                  std::to_string(header.info.height));
    }
    const std::int64_t plane = std::int64_t{width} * height;
    const stbi_uc* source = pixels.get();
    Tensor rgb({wanted, height, width});
    for (std::int64_t p = 0; p < plane; ++p)
      for (int c = 0; c < wanted; ++c) rgb.data()[c * plane + p] = source[p * wanted + c];
    pixels.reset();

    const std::int64_t out_w = options.width > 0 ? options.width : width;
    const std::int64_t out_h = options.height > 0 ? options.height : height;
    Tensor resized = resize_bilinear(rgb, out_w, out_h);
    const std::int64_t out_plane = out_w * out_h;
    const float* in = resized.data();
    Tensor result;
    if (options.layout == ColorLayout::grayscale) {
      if (wanted == 1) {
        result = std::move(resized);
      } else {
        result = Tensor({1, out_h, out_w});
        for (std::int64_t p = 0; p < out_plane; ++p)
          result.data()[p] = kLumaR * in[p] + kLumaG * in[out_plane + p] + kLumaB * in[2 * out_plane + p];
      }
    } else {
      result = Tensor({3, out_h, out_w});
      for (int c = 0; c < 3; ++c) {
        const int from = wanted == 1 ? 0 : (options.layout == ColorLayout::bgr ? 2 - c : c);
        std::copy_n(in + from * out_plane, out_plane, result.data() + c * out_plane);
      }
    }
    // Core ML receives 8-bit pixel buffers: whatever scaled or converted them stored integers.
    if (options.round_to_8bit) {
      for (float& v : result.values()) v = std::clamp(std::round(v), 0.0F, 255.0F);
    }
    return result;
  } catch (Error& error) {
    throw error.in_file(std::string(origin));
  }
}

ImageInfo image_info(const std::filesystem::path& path, const ImageReadOptions& options) {
  const std::string bytes = read_file_bytes(path, options.max_bytes, "a PNG, JPEG or BMP image");
  try {
    return check_header(bytes, options).info;
  } catch (Error& error) {
    throw error.in_file(path.string());
  }
}

Tensor read_image(const std::filesystem::path& path, const ImageReadOptions& options) {
  return decode_image(read_file_bytes(path, options.max_bytes, "a PNG, JPEG or BMP image"), path.string(), options);
}

std::string encode_png(const Tensor& chw, ColorLayout layout) {
  const Shape& shape = chw.shape();
  const bool leading_ones =
      shape.size() >= 3 && std::all_of(shape.begin(), shape.end() - 3, [](std::int64_t d) { return d == 1; });
  if (!leading_ones) throw Error("a PNG is written from a [C, H, W] tensor, got " + shape_to_string(shape));
  const std::int64_t channels = chw.dim(-3), height = chw.dim(-2), width = chw.dim(-1);
  if (channels != 1 && channels != 3)
    throw Error("a PNG is written from 1 (grey) or 3 (color) channels, got " + shape_to_string(shape));
  if (channels == 3 && layout == ColorLayout::grayscale)
    throw Error("a grayscale image has 1 channel, got " + shape_to_string(shape));
  if (width <= 0 || height <= 0) throw Error("a PNG needs at least one pixel, got " + shape_to_string(shape));
  if (width > INT_MAX / 4 / channels || height > INT_MAX / (width * channels))
    throw Error("image " + shape_to_string(shape) + " is too large for a PNG written in memory");
  const std::int64_t plane = width * height;
  std::vector<stbi_uc> pixels(static_cast<std::size_t>(plane * channels));
  for (std::int64_t c = 0; c < channels; ++c) {
    const std::int64_t from = (channels == 3 && layout == ColorLayout::bgr) ? 2 - c : c;
    const float* in = chw.data() + from * plane;
    for (std::int64_t p = 0; p < plane; ++p) {
      const float v = std::isnan(in[p]) ? 0.0F : std::clamp(std::round(in[p]), 0.0F, 255.0F);
      pixels[static_cast<std::size_t>(p * channels + c)] = static_cast<stbi_uc>(v);
    }
  }
  std::string png;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<std::size_t>(size));
  };
  if (!stbi_write_png_to_func(append, &png, static_cast<int>(width), static_cast<int>(height),
                              static_cast<int>(channels), pixels.data(), static_cast<int>(width * channels)))
    throw Error("PNG encoding failed for " + shape_to_string(shape));
  return png;
}

void write_png(const std::filesystem::path& path, const Tensor& chw, ColorLayout layout) {
  std::string png;
  try {
    png = encode_png(chw, layout);
  } catch (Error& error) {
    throw error.in_file(path.string());
  }
  spec::write_file_atomically(path, png);
}

}  // namespace mlconv::exec::io
