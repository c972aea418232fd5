#include "converter/frontends/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "spec/error.h"
#include "spec/file_descriptor.h"

namespace mlconv::converter {
namespace {

using spec::FileDescriptor;

class Mapping {
 public:
  Mapping(void* address, std::size_t size) : address_(address), size_(size) {}
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { ::munmap(address_, size_); }
  [[nodiscard]] const char* bytes() const { return static_cast<const char*>(address_); }

 private:
  void* address_;
  std::size_t size_;
};

Error io_error(std::string_view shown, const std::string& what) {
  return Error(std::string(shown) + ": " + what + ": " + std::strerror(errno), Error::Kind::io);
}

std::string read_range(int fd, std::string_view shown, std::uint64_t offset, std::uint64_t length) {
  std::string bytes(length, '\0');
  std::uint64_t done = 0;
  while (done < length) {
    const ssize_t got = ::pread(fd, bytes.data() + done, length - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw io_error(shown, "cannot read");
    if (got == 0) {
      throw Error(std::string(shown) + ": ended after " + std::to_string(offset + done) + " bytes; expected " +
                      std::to_string(offset + length),
                  Error::Kind::io);
    }
    done += static_cast<std::uint64_t>(got);
  }
  return bytes;
}

}  // namespace

TensorBytes read_file_range(const std::filesystem::path& path, std::string_view shown, std::uint64_t offset,
                            std::uint64_t length, bool may_map) {
  const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw io_error(shown, "cannot open");
  if (!may_map || length < min_mapped_bytes) return read_range(fd.get(), shown, offset, length);

  // Checked again on the open file: mapping past its end would fault on first read.
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) throw io_error(shown, "cannot read its size");
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (offset > size || size - offset < length) {
    throw Error(std::string(shown) + " is " + std::to_string(size) + " bytes; expected at least " +
                    std::to_string(offset + length),
                Error::Kind::io);
  }
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const std::uint64_t start = offset / page * page;
  const std::uint64_t span = offset - start + length;
  void* address = ::mmap(nullptr, span, PROT_READ, MAP_PRIVATE, fd.get(), static_cast<off_t>(start));
  if (address == MAP_FAILED) throw io_error(shown, "cannot map " + std::to_string(length) + " bytes");
  auto mapping = std::make_shared<const Mapping>(address, span);
  // The exporter reads each weight once, front to back.
  ::madvise(address, span, MADV_SEQUENTIAL);
  return TensorBytes::view(mapping, mapping->bytes() + (offset - start), length);
}

}  // namespace mlconv::converter
