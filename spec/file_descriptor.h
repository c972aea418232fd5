// A POSIX file descriptor closed on every path out of the scope that opened it.
#pragma once

#include <unistd.h>

#include <utility>

namespace mlconv::spec {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }
  // Gives up ownership (the caller closes it, to see close's own error).
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace mlconv::spec
