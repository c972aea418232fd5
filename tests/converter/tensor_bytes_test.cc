// TensorBytes (owned or a view of a mapping) and read_file_range, which decides between
// mapping and reading a weights file range.
#include "converter/ir/tensor_bytes.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "converter/frontends/mapped_file.h"
#include "spec/error.h"
#include "tests/support/test_support.h"

namespace {

namespace fs = std::filesystem;
using mlconv::converter::min_mapped_bytes;
using mlconv::converter::read_file_range;
using mlconv::converter::TensorBytes;

// A view of `text` that records whether its owner is still alive.
TensorBytes view_of(const std::shared_ptr<std::string>& text) {
  return TensorBytes::view(text, text->data() + 1, text->size() - 2);
}

// A file of `size` bytes whose byte i is i * 7 mod 251, so any offset mistake shows.
fs::path patterned_file(const std::string& name, std::size_t size) {
  const fs::path path = mlconv::test::scratch_dir("tensor_bytes_" + name) / "weights.bin";
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i * 7 % 251);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string expected_range(std::size_t offset, std::size_t length) {
  std::string bytes(length, '\0');
  for (std::size_t i = 0; i < length; ++i) bytes[i] = static_cast<char>((offset + i) * 7 % 251);
  return bytes;
}

}  // namespace

TEST_CASE("tensor bytes: a view reads its owner's bytes without copying and keeps the owner alive") {
  auto text = std::make_shared<std::string>("[abcdef]");
  const std::weak_ptr<std::string> watch = text;
  TensorBytes bytes = view_of(text);
  const std::string* address = text.get();
  text.reset();
  CHECK_FALSE(watch.expired());
  CHECK(bytes.is_view());
  CHECK(bytes.str() == "abcdef");
  CHECK(static_cast<const TensorBytes&>(bytes).data() == address->data() + 1);
  CHECK(bytes == TensorBytes(std::string("abcdef")));
  bytes.release();
  CHECK(watch.expired());
  CHECK(bytes.empty());
  CHECK_FALSE(bytes.is_view());
}

TEST_CASE("tensor bytes: writing to a view copies it first, leaving the owner's bytes alone") {
  auto text = std::make_shared<std::string>("[abcdef]");
  TensorBytes bytes = view_of(text);
  bytes.data()[0] = 'X';
  CHECK_FALSE(bytes.is_view());
  CHECK(bytes.str() == "Xbcdef");
  CHECK(*text == "[abcdef]");

  TensorBytes appended = view_of(text);
  appended += "gh";
  CHECK(appended.str() == "abcdefgh");
  TensorBytes resized = view_of(text);
  resized.resize(3);
  CHECK(resized.str() == "abc");
  CHECK(*text == "[abcdef]");
}

TEST_CASE("read_file_range: large ranges are mapped, small ones and refused mappings are read") {
  const std::size_t size = min_mapped_bytes + 3 * 4096 + 5;
  const fs::path path = patterned_file("ranges", size);
  // An offset inside a page: the view must start at it, not at the page boundary.
  const TensorBytes mapped = read_file_range(path, "weights.bin", 4099, min_mapped_bytes);
  CHECK(mapped.is_view());
  CHECK(mapped.str() == expected_range(4099, min_mapped_bytes));

  const TensorBytes small = read_file_range(path, "weights.bin", 17, 1000);
  CHECK_FALSE(small.is_view());
  CHECK(small.str() == expected_range(17, 1000));

  const TensorBytes read = read_file_range(path, "weights.bin", 5, min_mapped_bytes, /*may_map=*/false);
  CHECK_FALSE(read.is_view());
  CHECK(read.str() == expected_range(5, min_mapped_bytes));
}

TEST_CASE("read_file_range: a missing or short file is an error naming it") {
  const fs::path path = patterned_file("short", 4096);
  CHECK_THROWS_WITH_AS(read_file_range(path.parent_path() / "absent.bin", "absent.bin", 0, 10),
                       "absent.bin: cannot open: No such file or directory", mlconv::Error);
  CHECK_THROWS_WITH_AS(read_file_range(path, "weights.bin", 4000, 200), "weights.bin: ended after 4096 bytes; expected 4200",
                       mlconv::Error);
  CHECK_THROWS_WITH_AS(read_file_range(path, "weights.bin", 0, min_mapped_bytes),
                       ("weights.bin is 4096 bytes; expected at least " + std::to_string(min_mapped_bytes)).c_str(),
                       mlconv::Error);
}
