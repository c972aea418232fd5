// .npy reading and writing: every dtype against files NumPy wrote
// (fixtures/make_fixtures.py), byte-exact writer output, and hostile headers.
#include "executor/io/npy.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "tests/executor/io/io_test_support.h"
#include "tests/executor/kernel_tester.h"

namespace mlconv::exec::io {
namespace {

using exec::testing::check_tensor;
using testing::error_of;
using testing::fixture;
using testing::scratch;
using testing::slurp;

// A .npy file with a hand-written header (no padding) followed by `data`.
std::string npy(std::string_view dict, std::string_view data, int major = 1) {
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  for (std::size_t i = 0; i < length_bytes; ++i) out += static_cast<char>((dict.size() >> (8 * i)) & 0xff);
  out += dict;
  out += data;
  return out;
}

std::string zeros(std::size_t n) { return std::string(n, '\0'); }

// Reads a fixture under its bare name, so messages are stable.
NpyArray load(std::string_view name) { return parse_npy(slurp(fixture(name)), std::string(name)); }

TEST_CASE("npy: every little-endian dtype NumPy writes") {
  NpyArray f4 = load("f4.npy");
  CHECK(f4.dtype == "<f4");
  check_tensor(f4.to_tensor(), {2, 3}, {1.5F, -2, 3, 4, 5, 6.25F}, 0, 0);

  NpyArray f8 = load("f8.npy");
  CHECK(f8.type == NpyType::f8);
  CHECK(f8.to_doubles() == std::vector<double>{0.1, -2.5, 1e-3});
  check_tensor(f8.to_tensor(), {3}, {0.1F, -2.5F, 1e-3F}, 0, 0);

  // np.array([1.0, -2.5, 65504, 2**-24, np.inf], dtype="<f2"): 2**-24 is the smallest subnormal half.
  const Tensor f2 = load("f2.npy").to_tensor();
  check_tensor(f2, {5}, {1.0F, -2.5F, 65504.0F, 5.9604645e-08F, std::numeric_limits<float>::infinity()}, 0, 0);

  NpyArray i1 = load("i1.npy");
  CHECK(i1.dtype == "|i1");
  check_tensor(i1.to_tensor(), {3}, {-128, 0, 127}, 0, 0);
  check_tensor(load("i2.npy").to_tensor(), {2}, {-32768, 32767}, 0, 0);
  CHECK(load("i4.npy").to_doubles() == std::vector<double>{-2147483648.0, 2147483647.0, 7.0});
  // float32(2147483647) rounds to 2^31, as np.float32 does.
  check_tensor(load("i4.npy").to_tensor(), {3}, {-2147483648.0F, 2147483648.0F, 7}, 0, 0);
  // np.float32(-2**63), np.float32(2**53 + 1) == 2**53
  check_tensor(load("i8.npy").to_tensor(), {3}, {-9.223372e18F, 9007199254740992.0F, 42}, 0, 0);
  check_tensor(load("u1.npy").to_tensor(), {2}, {0, 255}, 0, 0);
  check_tensor(load("u2.npy").to_tensor(), {2}, {0, 65535}, 0, 0);
  CHECK(load("u4.npy").to_doubles() == std::vector<double>{0.0, 4294967295.0});
  // np.float32(2**64 - 1) == 1.8446744e+19
  check_tensor(load("u8.npy").to_tensor(), {2}, {0, 1.8446744e19F}, 0, 0);
  NpyArray b1 = load("b1.npy");
  CHECK(b1.dtype == "|b1");
  check_tensor(b1.to_tensor(), {3}, {1, 0, 1}, 0, 0);
}

TEST_CASE("npy: big-endian dtypes are byte-swapped") {
  NpyArray f4 = load("f4_big.npy");
  CHECK(f4.dtype == ">f4");
  check_tensor(f4.to_tensor(), {2, 2}, {1.5F, -2, 3, 4}, 0, 0);
  CHECK(load("f8_big.npy").to_doubles() == std::vector<double>{0.1, -2.5, 1e-3});
  check_tensor(load("f2_big.npy").to_tensor(), {2}, {1.0F, -2.5F}, 0, 0);
  CHECK(load("i4_big.npy").to_doubles() == std::vector<double>{-2147483648.0, 2147483647.0, 7.0});
  check_tensor(load("u2_big.npy").to_tensor(), {3}, {0, 65535, 258}, 0, 0);
  check_tensor(load("i8_big.npy").to_tensor(), {2}, {-9.223372e18F, 42}, 0, 0);
}

TEST_CASE("npy: Fortran order is transposed to C order") {
  // np.asfortranarray(np.arange(24).reshape(2, 3, 4)): the file holds 0, 12, 4, 16, ...
  std::vector<float> arange(24);
  for (int i = 0; i < 24; ++i) arange[static_cast<std::size_t>(i)] = static_cast<float>(i);
  check_tensor(load("f4_fortran.npy").to_tensor(), {2, 3, 4}, arange, 0, 0);
  // Fortran and big-endian together.
  check_tensor(load("i2_big_fortran.npy").to_tensor(), {2, 3}, {0, 1, 2, 3, 4, 5}, 0, 0);
}

TEST_CASE("npy: 0-d and empty arrays, format versions 2.0 and 3.0") {
  NpyArray scalar = load("scalar_f4.npy");
  CHECK(scalar.shape.empty());
  check_tensor(scalar.to_tensor(), {}, {3.5F}, 0, 0);
  NpyArray scalar_i8 = load("scalar_i8.npy");
  CHECK(scalar_i8.dtype == "<i8");
  check_tensor(scalar_i8.to_tensor(), {}, {7}, 0, 0);
  NpyArray empty = load("empty_f4.npy");
  CHECK(empty.shape == Shape{0, 3});
  CHECK(empty.to_tensor().size() == 0);
  check_tensor(load("v2.npy").to_tensor(), {2, 2}, {1, 2, 3, 4}, 0, 0);
  check_tensor(load("v3.npy").to_tensor(), {3}, {5, 6, 7}, 0, 0);
  // Python 2's numpy wrote long integers with an L.
  check_tensor(
      parse_npy(npy("{'descr': '<i2', 'fortran_order': False, 'shape': (2L,), }\n", std::string("\1\0\2\0", 4)),
                "p.npy")
          .to_tensor(),
      {2}, {1, 2}, 0, 0);
}

TEST_CASE("npy: values and types that do not become float32 are refused") {
  CHECK(error_of([] { (void)load("f8_overflow.npy").to_tensor(); }) ==
        "f8_overflow.npy: element [1] (1e+300) of the <f8 array is outside float32's range");
  CHECK(error_of([] { load("c8.npy"); }) ==
        "c8.npy: dtype '<c8' is not supported; supported: f2 f4 f8 (floats), i1 i2 i4 i8, u1 u2 u4 u8, b1 (bool), "
        "little- ('<') or big-endian ('>')");
  CHECK(error_of([] { load("object.npy"); }) ==
        "object.npy: dtype '|O' holds Python objects (pickles), which are never loaded");
  CHECK(error_of([] {
          parse_npy(npy("{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }", zeros(4)), "x.npy");
        }) == "x.npy: dtype '|f4' does not say its byte order; expected '<' or '>'");
}

TEST_CASE("npy: the data size must match the header exactly") {
  const std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }\n";
  CHECK(error_of([&] { parse_npy(npy(header, zeros(40)), "x.npy"); }) ==
        "x.npy: header says shape (3, 4) of <f4 = 48 bytes, but only 40 bytes follow");
  CHECK(error_of([&] { parse_npy(npy(header, zeros(52)), "x.npy"); }) ==
        "x.npy: header says shape (3, 4) of <f4 = 48 bytes, but 52 bytes follow");
  CHECK(parse_npy(npy(header, zeros(48)), "x.npy").size() == 12);
}

TEST_CASE("npy: huge shapes are refused before allocating") {
  CHECK(
      error_of([] {
        parse_npy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000), }", zeros(8)),
                  "x.npy");
      }) ==
      "x.npy: header says shape (1000000000, 1000000000) of <f4 = 4000000000000000000 bytes, but only 8 bytes follow");
  CHECK(error_of([] {
          parse_npy(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952, 4), }", zeros(8)),
                    "x.npy");
        }) ==
        "x.npy: header says shape (2305843009213693952, 4) of <f8, more bytes than fit in 64 bits, but only 8 bytes "
        "follow");
  CHECK(
      error_of([] {
        parse_npy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904), }",
                      zeros(8)),
                  "x.npy");
      }) ==
      "x.npy: header says shape (4611686018427387904, 4611686018427387904) of <f4, more elements than fit in 64 bits, "
      "but only 8 bytes follow");
  CHECK(error_of([] {
          parse_npy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", zeros(8)),
                    "x.npy");
        }).starts_with("x.npy: header is not a valid .npy header: shape dimension 99999999999999999999 is too large"));
}

TEST_CASE("npy: broken magic, version and header length") {
  CHECK(error_of([] { parse_npy("PK\x03\x04 not numpy", "x.npy"); }) ==
        "x.npy: not a .npy file (it does not start with \"\\x93NUMPY\")");
  CHECK(error_of([] { parse_npy("\x93NUMPY", "x.npy"); }) == "x.npy: file ends inside the .npy version bytes");
  CHECK(error_of([] { parse_npy(std::string("\x93NUMPY\x01\x00\x10", 9), "x.npy"); }) ==
        "x.npy: file ends inside the .npy header length");
  CHECK(error_of([] { parse_npy(npy("{}", "", 4), "x.npy"); }) ==
        "x.npy: .npy format version 4.0 is not supported; expected 1.0, 2.0 or 3.0");
  CHECK(error_of([] { parse_npy(std::string("\x93NUMPY\x01\x00\xff\xff{'descr'", 17), "x.npy"); }) ==
        "x.npy: header length 65535 runs past the end of the file (7 bytes follow the length)");
  CHECK(error_of([] { parse_npy(std::string("\x93NUMPY\x02\x00\xff\xff\xff\xff{", 13), "x.npy"); }) ==
        "x.npy: header length 4294967295 is more than the 1048576-byte limit");
}

TEST_CASE("npy: malformed header dictionaries") {
  auto message = [](std::string_view dict) { return error_of([&] { parse_npy(npy(dict, zeros(4)), "x.npy"); }); };
  const std::string prefix = "x.npy: header is not a valid .npy header: ";
  CHECK(message("{'descr': '<f4', 'shape': (1,), }").starts_with(prefix + "key 'fortran_order' is missing"));
  CHECK(message("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }")
            .starts_with(prefix + "key 'descr' appears twice"));
  CHECK(message("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}")
            .starts_with(prefix + "unknown key 'extra'; expected descr, fortran_order and shape"));
  CHECK(message("{'descr': '<f4', 'fortran_order': maybe, 'shape': (1,), }")
            .starts_with(prefix + "fortran_order must be True or False"));
  CHECK(message("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }")
            .starts_with(prefix + "descr is a list: structured (record) dtypes are not supported"));
  CHECK(message("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }")
            .starts_with(prefix + "shape must be a tuple of non-negative integers"));
  CHECK(message("{'descr': '<f4', 'fortran_order': False, 'shape': (1), }")
            .starts_with(prefix + "shape (1) is not a tuple; expected (1,)"));
  CHECK(message("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } trailing")
            .starts_with(prefix + "unexpected text after the closing '}'"));
  CHECK(message("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)")
            .starts_with(prefix + "expected ',' or '}' after the value of 'shape'"));
  CHECK(message("").starts_with(prefix + "expected '{' at offset 0"));
}

TEST_CASE("npy: the writers produce what numpy.save writes, byte for byte") {
  // The fixtures were written by numpy.save from the same values.
  CHECK(encode_npy(Tensor({2, 3}, {1.5F, -2, 3, 4, 5, 6.25F})) == slurp(fixture("f4.npy")));
  const std::vector<double> doubles{0.1, -2.5, 1e-3};
  CHECK(encode_npy(Shape{3}, std::span<const double>(doubles)) == slurp(fixture("f8.npy")));
  const std::vector<std::int64_t> seven{7};
  CHECK(encode_npy(Shape{}, std::span<const std::int64_t>(seven)) == slurp(fixture("scalar_i8.npy")));
  CHECK(encode_npy(Tensor({0, 3})) == slurp(fixture("empty_f4.npy")));
}

TEST_CASE("npy: write and read back through a file") {
  const auto path = scratch("round_trip.npy");
  const Tensor tensor({2, 1, 3}, {0.5F, -1, 1e-30F, 3e38F, -0.0F, 7});
  write_npy(path, tensor);
  check_tensor(read_npy(path).to_tensor(), {2, 1, 3}, {0.5F, -1, 1e-30F, 3e38F, -0.0F, 7}, 0, 0);

  const std::vector<std::int64_t> big{-(std::int64_t{1} << 62), 5};
  write_npy(path, Shape{2}, std::span<const std::int64_t>(big));
  const NpyArray read = read_npy(path);
  CHECK(read.dtype == "<i8");
  CHECK(read.value(0) == -4611686018427387904.0);

  const std::vector<double> two{1, 2};
  CHECK(error_of([&] { write_npy(path, Shape{3}, std::span<const double>(two)); }) ==
        path.string() + ": 2 values do not fill shape [3]");
  const auto nowhere = path.parent_path() / "no-such-dir" / "x.npy";
  CHECK(error_of([&] {
          write_npy(nowhere, tensor);
        }).starts_with(nowhere.string() + ": cannot create a temporary file beside it"));
}

TEST_CASE("npy: reading files that are not there or not files") {
  const auto missing = scratch("missing.npy");
  CHECK(error_of([&] { read_npy(missing); }) == missing.string() + ": cannot open: No such file or directory");
  const auto dir = missing.parent_path();
  CHECK(error_of([&] { read_npy(dir); }) == dir.string() + ": is a directory; expected a .npy array");
  const auto empty = scratch("empty.npy");
  testing::spit(empty, "");
  CHECK(error_of([&] { read_npy(empty); }) == empty.string() + ": empty file; expected a .npy array");
  CHECK(error_of([&] { read_npy(fixture("f4.npy"), NpyReadOptions{.max_bytes = 100}); }) ==
        fixture("f4.npy").string() + ": 152 bytes is more than the 100-byte limit for a .npy array");
}

}  // namespace
}  // namespace mlconv::exec::io
