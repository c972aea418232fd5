// JSON size and depth limits; the depth scan is one pass that only tracks
// strings and escapes, so it is safe on any bytes.
#include "spec/json_limits.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "spec/error.h"

namespace mlconv::spec {

std::string read_json_file(const std::filesystem::path& path, std::string_view what, std::uint64_t max_bytes) {
  const std::string origin = path.string();
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    throw Error("cannot open " + std::string(what) + ": " + std::strerror(errno), Error::Kind::io).in_file(origin);
  if (!S_ISREG(info.st_mode)) throw Error("not a regular file; expected a " + std::string(what)).in_file(origin);
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size > max_bytes)
    throw Error(std::to_string(size) + " bytes is more than the " + std::to_string(max_bytes) + "-byte limit for a " +
                std::string(what))
        .in_file(origin);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + std::string(what), Error::Kind::io).in_file(origin);
  std::string text(static_cast<std::size_t>(size), '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(size)))
    throw Error("cannot read " + std::string(what), Error::Kind::io).in_file(origin);
  return text;
}

void check_json_depth(std::string_view text, const std::string& file) {
  int depth = 0;
  int line = 1;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') ++line;
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_json_depth)
        throw Error("arrays and objects nest more than " + std::to_string(max_json_depth) + " levels deep")
            .in_file(file + ":" + std::to_string(line));
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

}  // namespace mlconv::spec
