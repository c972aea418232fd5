// The .npy format (NumPy's NEP 1): magic "\x93NUMPY", a version byte pair, a
// little-endian header length (2 bytes in 1.0, 4 in 2.0 and 3.0), then a Python
// dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...), } padded with
// spaces and a newline, then the raw elements.
#include "executor/io/npy.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>

#include "executor/io/file_bytes.h"
#include "spec/error.h"
#include "spec/model_io.h"
#include "spec/weights.h"

namespace mlconv::exec::io {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";

std::string format_double(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// "(3, 4)", "(3,)", "()": the header's own spelling, so messages match what `head` shows.
std::string python_shape(const Shape& shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) text += ", ";
    text += std::to_string(shape[i]);
  }
  if (shape.size() == 1) text += ",";
  return text + ")";
}

std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 60)) out += (c >= 32 && c < 127) ? c : '?';
  if (text.size() > 60) out += "...";
  return out;
}

struct Header {
  std::string descr;
  bool fortran_order = false;
  Shape shape;
};

// A strict reader of the one dict literal numpy writes: string keys, and values
// that are a string, True/False, or a tuple of non-negative integers.
class HeaderParser {
 public:
  explicit HeaderParser(std::string_view text) : text_(text) {}

  Header parse() {
    Header header;
    bool seen_descr = false, seen_order = false, seen_shape = false;
    skip_space();
    expect('{');
    for (;;) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = parse_string("a key");
      skip_space();
      expect(':');
      skip_space();
      auto once = [&](bool& seen) {
        if (seen) fail("key '" + key + "' appears twice");
        seen = true;
      };
      if (key == "descr") {
        once(seen_descr);
        if (peek() == '[') fail("descr is a list: structured (record) dtypes are not supported");
        header.descr = parse_string("descr");
      } else if (key == "fortran_order") {
        once(seen_order);
        header.fortran_order = parse_bool();
      } else if (key == "shape") {
        once(seen_shape);
        header.shape = parse_shape();
      } else {
        fail("unknown key '" + printable(key) + "'; expected descr, fortran_order and shape");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') fail("expected ',' or '}' after the value of '" + key + "'");
    }
    ++pos_;
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the closing '}'");
    if (!seen_descr) fail("key 'descr' is missing");
    if (!seen_order) fail("key 'fortran_order' is missing");
    if (!seen_shape) fail("key 'shape' is missing");
    return header;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error("header is not a valid .npy header: " + what + " (header: \"" + printable(text_) + "\")");
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\t' || text_[pos_] == '\r'))
      ++pos_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "' at offset " + std::to_string(pos_));
    ++pos_;
  }
  std::string parse_string(const std::string& what) {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string for " + what);
    const std::size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string value(text_.substr(pos_ + 1, end - pos_ - 1));
    if (value.find('\\') != std::string::npos) fail("escapes in strings are not supported");
    pos_ = end + 1;
    return value;
  }
  bool parse_bool() {
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail("fortran_order must be True or False");
  }
  Shape parse_shape() {
    expect('(');
    Shape shape;
    bool one_comma = false;
    for (;;) {
      skip_space();
      if (peek() == ')') break;
      const std::size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      if (pos_ == start) fail("shape must be a tuple of non-negative integers");
      std::int64_t dim = 0;
      const auto result = std::from_chars(text_.data() + start, text_.data() + pos_, dim);
      if (result.ec != std::errc())
        fail("shape dimension " + printable(text_.substr(start, pos_ - start)) + " is too large");
      shape.push_back(dim);
      if (peek() == 'L') ++pos_;  // Python 2 wrote long integers as 3L
      skip_space();
      if (peek() == ',') {
        ++pos_;
        one_comma = true;
        continue;
      }
      if (peek() != ')') fail("expected ',' or ')' in shape");
    }
    ++pos_;
    // "(3)" is the integer 3 in Python, not a tuple; numpy refuses it too.
    if (shape.size() == 1 && !one_comma)
      fail("shape (" + std::to_string(shape[0]) + ") is not a tuple; expected (" + std::to_string(shape[0]) + ",)");
    return shape;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

struct Dtype {
  NpyType type;
  int size;
  bool big_endian;
};

Dtype parse_dtype(const std::string& descr) {
  const std::string supported =
      "; supported: f2 f4 f8 (floats), i1 i2 i4 i8, u1 u2 u4 u8, b1 (bool), little- ('<') or big-endian ('>')";
  if (descr.size() < 2) throw Error("dtype '" + printable(descr) + "' is not a NumPy type string" + supported);
  const char order = descr[0];
  if (order != '<' && order != '>' && order != '|' && order != '=')
    throw Error("dtype '" + printable(descr) + "' has no byte-order mark ('<', '>' or '|')" + supported);
  const char kind = descr[1];
  int size = 0;
  const auto result = std::from_chars(descr.data() + 2, descr.data() + descr.size(), size);
  if (kind == 'O')
    throw Error("dtype '" + printable(descr) + "' holds Python objects (pickles), which are never loaded");
  if (result.ec != std::errc() || result.ptr != descr.data() + descr.size())
    throw Error("dtype '" + printable(descr) + "' is not supported" + supported);
  std::optional<NpyType> type;
  if (kind == 'f' && size == 2) type = NpyType::f2;
  if (kind == 'f' && size == 4) type = NpyType::f4;
  if (kind == 'f' && size == 8) type = NpyType::f8;
  if (kind == 'i' && size == 1) type = NpyType::i1;
  if (kind == 'i' && size == 2) type = NpyType::i2;
  if (kind == 'i' && size == 4) type = NpyType::i4;
  if (kind == 'i' && size == 8) type = NpyType::i8;
  if (kind == 'u' && size == 1) type = NpyType::u1;
  if (kind == 'u' && size == 2) type = NpyType::u2;
  if (kind == 'u' && size == 4) type = NpyType::u4;
  if (kind == 'u' && size == 8) type = NpyType::u8;
  if (kind == 'b' && size == 1) type = NpyType::b1;
  if (!type) throw Error("dtype '" + printable(descr) + "' is not supported" + supported);
  // '=' (native) never comes from numpy.save, which resolves it; the writer's host is unknown.
  if (size > 1 && (order == '|' || order == '='))
    throw Error("dtype '" + descr + "' does not say its byte order; expected '<' or '>'");
  return Dtype{*type, size, order == '>'};
}

// C order from Fortran order: walks the C index while tracking the Fortran offset.
std::vector<unsigned char> fortran_to_c(const std::vector<unsigned char>& data, const Shape& shape, int item) {
  const std::size_t rank = shape.size();
  std::vector<std::int64_t> fstride(rank, 1);
  for (std::size_t k = 1; k < rank; ++k) fstride[k] = fstride[k - 1] * shape[k - 1];
  std::vector<unsigned char> out(data.size());
  const std::size_t count = data.size() / static_cast<std::size_t>(item);
  std::vector<std::int64_t> index(rank, 0);
  std::int64_t offset = 0;
  for (std::size_t c = 0; c < count; ++c) {
    std::memcpy(out.data() + c * static_cast<std::size_t>(item), data.data() + offset * item,
                static_cast<std::size_t>(item));
    for (std::size_t k = rank; k-- > 0;) {
      offset += fstride[k];
      if (++index[k] < shape[k]) break;
      offset -= shape[k] * fstride[k];
      index[k] = 0;
    }
  }
  return out;
}

template <typename T>
T load(const unsigned char* p) {
  T value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

std::string multi_index(std::int64_t flat, const Shape& shape) {
  std::vector<std::int64_t> index(shape.size());
  for (std::size_t k = shape.size(); k-- > 0;) {
    index[k] = shape[k] ? flat % shape[k] : 0;
    flat = shape[k] ? flat / shape[k] : 0;
  }
  return shape_to_string(index);
}

std::string npy_header(std::string_view descr, const Shape& shape) {
  std::string dict =
      "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': " + python_shape(shape) + ", }";
  // Version 1.0 has two length bytes; a longer header (a rank in the thousands) needs 2.0's four.
  const std::size_t length_bytes = dict.size() + 64 <= 0xffff ? 2 : 4;
  // numpy pads so the data starts on a 64-byte boundary, with '\n' last.
  const std::size_t unpadded = kMagic.size() + 2 + length_bytes + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  std::string out(kMagic);
  out += length_bytes == 2 ? '\x01' : '\x02';
  out += '\x00';
  for (std::size_t i = 0; i < length_bytes; ++i) out += static_cast<char>((dict.size() >> (8 * i)) & 0xff);
  return out + dict;
}

template <typename T>
std::string encode(std::string_view descr, const Shape& shape, std::span<const T> values) {
  if (static_cast<std::int64_t>(values.size()) != element_count(shape))
    throw Error(std::to_string(values.size()) + " values do not fill shape " + shape_to_string(shape));
  std::string out = npy_header(descr, shape);
  const std::size_t header = out.size();
  out.resize(header + values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(out.data() + header, values.data(), values.size() * sizeof(T));
  if constexpr (std::endian::native == std::endian::big) {
    for (std::size_t i = header; i < out.size(); i += sizeof(T))
      std::reverse(out.begin() + i, out.begin() + i + sizeof(T));
  }
  return out;
}

}  // namespace

double NpyArray::value(std::int64_t i) const {
  const unsigned char* p = data.data() + i * item_size;
  switch (type) {
    case NpyType::f2:
      return spec::half_to_float(load<std::uint16_t>(p));
    case NpyType::f4:
      return load<float>(p);
    case NpyType::f8:
      return load<double>(p);
    case NpyType::i1:
      return load<std::int8_t>(p);
    case NpyType::i2:
      return load<std::int16_t>(p);
    case NpyType::i4:
      return load<std::int32_t>(p);
    case NpyType::i8:
      return static_cast<double>(load<std::int64_t>(p));
    case NpyType::u1:
      return load<std::uint8_t>(p);
    case NpyType::u2:
      return load<std::uint16_t>(p);
    case NpyType::u4:
      return load<std::uint32_t>(p);
    case NpyType::u8:
      return static_cast<double>(load<std::uint64_t>(p));
    case NpyType::b1:
      return *p != 0 ? 1.0 : 0.0;
  }
  return 0.0;
}

Tensor NpyArray::to_tensor() const {
  Tensor tensor(shape);
  float* out = tensor.data();
  const std::int64_t count = size();
  if (type == NpyType::f4) {
    if (!data.empty()) std::memcpy(out, data.data(), data.size());
  } else if (type == NpyType::i8 || type == NpyType::u8) {
    // Straight to float: through double, a 64-bit integer would be rounded twice.
    for (std::int64_t i = 0; i < count; ++i) {
      const unsigned char* p = data.data() + i * 8;
      out[i] =
          type == NpyType::i8 ? static_cast<float>(load<std::int64_t>(p)) : static_cast<float>(load<std::uint64_t>(p));
    }
  } else {
    for (std::int64_t i = 0; i < count; ++i) {
      const double v = value(i);
      out[i] = static_cast<float>(v);
      if (std::isinf(out[i]) && std::isfinite(v)) {
        throw Error("element " + multi_index(i, shape) + " (" + format_double(v) + ") of the " + dtype +
                    " array is outside float32's range")
            .in_file(origin);
      }
    }
  }
  return tensor;
}

std::vector<double> NpyArray::to_doubles() const {
  std::vector<double> out(static_cast<std::size_t>(size()));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = value(static_cast<std::int64_t>(i));
  return out;
}

NpyArray parse_npy(std::string_view bytes, std::string origin, const NpyReadOptions& options) {
  try {
    if (bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic)
      throw Error("not a .npy file (it does not start with \"\\x93NUMPY\")");
    if (bytes.size() < kMagic.size() + 2) throw Error("file ends inside the .npy version bytes");
    const auto major = static_cast<unsigned char>(bytes[6]);
    const auto minor = static_cast<unsigned char>(bytes[7]);
    if (major < 1 || major > 3 || minor != 0) {
      throw Error(".npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                  " is not supported; expected 1.0, 2.0 or 3.0");
    }
    const std::size_t length_bytes = major == 1 ? 2 : 4;
    const std::size_t prefix = kMagic.size() + 2 + length_bytes;
    if (bytes.size() < prefix) throw Error("file ends inside the .npy header length");
    std::uint64_t header_length = 0;
    for (std::size_t i = 0; i < length_bytes; ++i)
      header_length |= std::uint64_t{static_cast<unsigned char>(bytes[8 + i])} << (8 * i);
    if (header_length > options.max_header_bytes) {
      throw Error("header length " + std::to_string(header_length) + " is more than the " +
                  std::to_string(options.max_header_bytes) + "-byte limit");
    }
    if (header_length > bytes.size() - prefix) {
      throw Error("header length " + std::to_string(header_length) + " runs past the end of the file (" +
                  std::to_string(bytes.size() - prefix) + " bytes follow the length)");
    }
    const std::string_view header_text = bytes.substr(prefix, header_length);
    // Versions 1.0 and 2.0 promise latin-1; 3.0 allows UTF-8, which only matters for
    // field names of structured dtypes, refused below anyway.
    const Header header = HeaderParser(header_text).parse();
    const Dtype dtype = parse_dtype(header.descr);

    const std::uint64_t available = bytes.size() - prefix - header_length;
    const std::string described = "header says shape " + python_shape(header.shape) + " of " + header.descr;
    std::uint64_t count = 1;
    for (std::int64_t dim : header.shape) {
      if (__builtin_mul_overflow(count, static_cast<std::uint64_t>(dim), &count))
        throw Error(described + ", more elements than fit in 64 bits, but only " + std::to_string(available) +
                    " bytes follow");
    }
    std::uint64_t need = 0;
    if (__builtin_mul_overflow(count, static_cast<std::uint64_t>(dtype.size), &need) ||
        count > static_cast<std::uint64_t>(INT64_MAX)) {
      throw Error(described + ", more bytes than fit in 64 bits, but only " + std::to_string(available) +
                  " bytes follow");
    }
    if (need > available) {
      throw Error(described + " = " + std::to_string(need) + " bytes, but only " + std::to_string(available) +
                  " bytes follow");
    }
    if (need < available) {
      throw Error(described + " = " + std::to_string(need) + " bytes, but " + std::to_string(available) +
                  " bytes follow");
    }

    NpyArray array;
    array.shape = header.shape;
    array.dtype = header.descr;
    array.type = dtype.type;
    array.item_size = dtype.size;
    const auto* start = reinterpret_cast<const unsigned char*>(bytes.data() + prefix + header_length);
    array.data.assign(start, start + need);
    const bool file_big = dtype.big_endian;
    if (dtype.size > 1 && file_big != (std::endian::native == std::endian::big)) {
      for (std::size_t i = 0; i < array.data.size(); i += static_cast<std::size_t>(dtype.size))
        std::reverse(array.data.begin() + static_cast<std::ptrdiff_t>(i),
                     array.data.begin() + static_cast<std::ptrdiff_t>(i) + dtype.size);
    }
    if (header.fortran_order && header.shape.size() > 1) array.data = fortran_to_c(array.data, array.shape, dtype.size);
    array.origin = std::move(origin);
    return array;
  } catch (Error& error) {
    throw error.in_file(origin);
  }
}

NpyArray read_npy(const std::filesystem::path& path, const NpyReadOptions& options) {
  return parse_npy(read_file_bytes(path, options.max_bytes, "a .npy array"), path.string(), options);
}

std::string encode_npy(const Tensor& tensor) { return encode<float>("<f4", tensor.shape(), tensor.values()); }
std::string encode_npy(const Shape& shape, std::span<const double> values) { return encode("<f8", shape, values); }
std::string encode_npy(const Shape& shape, std::span<const std::int64_t> values) {
  return encode("<i8", shape, values);
}

void write_npy(const std::filesystem::path& path, const Tensor& tensor) {
  spec::write_file_atomically(path, encode_npy(tensor));
}
void write_npy(const std::filesystem::path& path, const Shape& shape, std::span<const double> values) {
  std::string bytes;
  try {
    bytes = encode_npy(shape, values);
  } catch (Error& error) {
    throw error.in_file(path.string());
  }
  spec::write_file_atomically(path, bytes);
}
void write_npy(const std::filesystem::path& path, const Shape& shape, std::span<const std::int64_t> values) {
  std::string bytes;
  try {
    bytes = encode_npy(shape, values);
  } catch (Error& error) {
    throw error.in_file(path.string());
  }
  spec::write_file_atomically(path, bytes);
}

}  // namespace mlconv::exec::io
