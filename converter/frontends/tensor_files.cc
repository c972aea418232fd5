// Raw and .npy tensor files. The .npy header is a Python dict literal; only the
// three keys NumPy always writes are read, and anything unexpected is refused.
#include "converter/frontends/tensor_files.h"

#include <fstream>
#include <regex>

#include "converter/frontends/mapped_file.h"
#include "spec/error.h"

namespace mlconv::converter {
namespace {

std::uint64_t file_size_of(const ExternalData& source) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(source.path, ec);
  if (ec) throw Error("cannot read weights file: " + ec.message(), Error::Kind::io).in_file(source.path_as_written);
  return size;
}

std::string read_range(const ExternalData& source, std::uint64_t offset, std::uint64_t length) {
  std::ifstream in(source.path, std::ios::binary);
  if (!in) throw Error("cannot open weights file", Error::Kind::io).in_file(source.path_as_written);
  std::string bytes(length, '\0');
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(bytes.data(), static_cast<std::streamsize>(length));
  if (static_cast<std::uint64_t>(in.gcount()) != length) {
    throw Error("cannot read " + std::to_string(length) + " bytes at offset " + std::to_string(offset), Error::Kind::io)
        .in_file(source.path_as_written);
  }
  return bytes;
}

std::uint64_t needed_bytes(ElementType type, const std::vector<std::int64_t>& dims) {
  std::uint64_t count = 1;
  for (const auto d : dims) count *= static_cast<std::uint64_t>(d);
  return count * element_size(type);
}

std::string npy_descr(ElementType type) {
  switch (type) {
    case ElementType::float32: return "<f4";
    case ElementType::float16: return "<f2";
    case ElementType::float64: return "<f8";
    case ElementType::int8: return "|i1";
    case ElementType::uint8: return "|u1";
    case ElementType::int16: return "<i2";
    case ElementType::int32: return "<i4";
    case ElementType::int64: return "<i8";
    case ElementType::boolean: return "|b1";
    default: return "";
  }
}

std::string dims_text(const std::vector<std::int64_t>& dims) {
  std::string out = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
  return out + "]";
}

}  // namespace

TensorData read_raw_tensor(const ExternalData& source, ElementType type, const std::vector<std::int64_t>& dims) {
  const std::uint64_t needed = needed_bytes(type, dims);
  const std::uint64_t length = source.length.value_or(needed);
  if (length != needed) {
    throw Error("external length " + std::to_string(length) + " does not match the " + std::to_string(needed) +
                " bytes of " + std::string(element_type_name(type)) + " " + dims_text(dims));
  }
  const std::uint64_t size = file_size_of(source);
  if (source.offset > size || size - source.offset < length) {
    throw Error("file holds " + std::to_string(size) + " bytes; expected at least " +
                std::to_string(source.offset + length) + " (offset " + std::to_string(source.offset) + " + length " +
                std::to_string(length) + ")")
        .in_file(source.path_as_written);
  }
  return TensorData{type, dims, read_file_range(source.path, source.path_as_written, source.offset, length)};
}

TensorData read_npy_tensor(const ExternalData& source, ElementType type, const std::vector<std::int64_t>& dims) {
  const std::uint64_t size = file_size_of(source);
  const auto fail = [&](const std::string& what) { return Error(what).in_file(source.path_as_written); };
  if (size < 10) throw fail("not a .npy file (" + std::to_string(size) + " bytes)");
  const std::string prefix = read_range(source, 0, 10);
  if (prefix.compare(0, 6, "\x93NUMPY") != 0) throw fail("not a .npy file (bad magic)");
  const auto major = static_cast<unsigned char>(prefix[6]);
  std::uint64_t header_length = 0;
  std::uint64_t header_start = 0;
  if (major == 1) {
    header_length = static_cast<unsigned char>(prefix[8]) | (static_cast<unsigned char>(prefix[9]) << 8U);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) throw fail("truncated .npy header");
    const std::string length_bytes = read_range(source, 8, 4);
    for (int i = 3; i >= 0; --i) header_length = (header_length << 8U) | static_cast<unsigned char>(length_bytes[i]);
    header_start = 12;
  } else {
    throw fail(".npy format version " + std::to_string(major) + " is not supported (expected 1 to 3)");
  }
  if (size - header_start < header_length) throw fail("truncated .npy header");
  // NumPy writes headers of a few hundred bytes; a huge one is not worth reading or matching regexes over.
  constexpr std::uint64_t max_header_bytes = 1 << 20;
  if (header_length > max_header_bytes)
    throw fail(".npy header of " + std::to_string(header_length) + " bytes is more than the " +
               std::to_string(max_header_bytes) + "-byte limit");
  const std::string header = read_range(source, header_start, header_length);

  std::smatch match;
  static const std::regex descr_re(R"('descr'\s*:\s*'([^']*)')");
  static const std::regex order_re(R"('fortran_order'\s*:\s*(True|False))");
  static const std::regex shape_re(R"('shape'\s*:\s*\(([^)]*)\))");
  if (!std::regex_search(header, match, descr_re)) throw fail(".npy header has no 'descr'");
  const std::string descr = match[1];
  if (!std::regex_search(header, match, order_re)) throw fail(".npy header has no 'fortran_order'");
  if (match[1] == "True") throw fail(".npy array is in Fortran order; save it in C order (np.ascontiguousarray)");
  if (!std::regex_search(header, match, shape_re)) throw fail(".npy header has no 'shape'");
  std::vector<std::int64_t> npy_dims;
  static const std::regex int_re(R"(\d+)");
  const std::string shape_text = match[1];
  for (auto it = std::sregex_iterator(shape_text.begin(), shape_text.end(), int_re); it != std::sregex_iterator(); ++it) {
    if (it->length() > 18) throw fail(".npy shape (" + shape_text + ") has a dimension too large to be real");
    npy_dims.push_back(std::stoll(it->str()));
  }
  const std::string expected_descr = npy_descr(type);
  // '<f4' and '=f4' mean the same on the little-endian hosts this tool runs on; '|' marks one-byte types.
  const std::string normalized = descr.size() == 3 && descr[0] == '=' ? "<" + descr.substr(1) : descr;
  if (normalized != expected_descr) {
    throw fail(".npy dtype '" + descr + "' does not match the declared " + std::string(element_type_name(type)) +
               " (expected '" + expected_descr + "')");
  }
  if (npy_dims != dims) {
    throw fail(".npy shape " + dims_text(npy_dims) + " does not match the declared shape " + dims_text(dims));
  }
  const std::uint64_t data_start = header_start + header_length;
  const std::uint64_t needed = needed_bytes(type, dims);
  if (size - data_start < needed) {
    throw fail("file holds " + std::to_string(size - data_start) + " bytes of data; " + std::string(element_type_name(type)) +
               " " + dims_text(dims) + " needs " + std::to_string(needed));
  }
  return TensorData{type, dims, read_file_range(source.path, source.path_as_written, data_start, needed)};
}

}  // namespace mlconv::converter
