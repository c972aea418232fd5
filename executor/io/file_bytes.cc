#include "executor/io/file_bytes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "spec/error.h"
#include "spec/file_descriptor.h"

namespace mlconv::exec::io {
namespace {

std::string errno_text() { return std::strerror(errno); }

using spec::FileDescriptor;

}  // namespace

std::string read_file_bytes(const std::filesystem::path& path, std::uint64_t max_bytes, std::string_view what) {
  const std::string origin = path.string();
  const std::string expected = "; expected " + std::string(what);
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw Error("cannot open: " + errno_text(), Error::Kind::io).in_file(origin);
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) throw Error("cannot stat: " + errno_text(), Error::Kind::io).in_file(origin);
  if (S_ISDIR(info.st_mode)) throw Error("is a directory" + expected).in_file(origin);
  if (!S_ISREG(info.st_mode)) throw Error("not a regular file" + expected).in_file(origin);
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size == 0) throw Error("empty file" + expected).in_file(origin);
  if (size > max_bytes) {
    throw Error(std::to_string(size) + " bytes is more than the " + std::to_string(max_bytes) + "-byte limit for " +
                std::string(what))
        .in_file(origin);
  }
  std::string bytes(static_cast<std::size_t>(size), '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t got = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw Error("read failed: " + errno_text(), Error::Kind::io).in_file(origin);
    }
    // The file shrank between fstat and read; what is there is what we parse.
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  bytes.resize(done);
  if (bytes.empty()) throw Error("empty file" + expected).in_file(origin);
  return bytes;
}

}  // namespace mlconv::exec::io
