// The output stream every saved model goes through: protobuf's serializer writes into a
// 1 MiB buffer, like FileOutputStream, with two differences that matter for models of
// hundreds of megabytes:
// - splices: byte ranges of the output written from memory elsewhere (a deferred weight's
//   file mapping, spec/deferred_weights.h) instead of from the buffer, which received a
//   placeholder's bytes there;
// - early write-back: the kernel is asked to start writing each 32 MiB to disk as soon as
//   it is written, so the fsync that ends an atomic save waits for the last few
//   megabytes instead of the whole file.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include <google/protobuf/io/zero_copy_stream.h>
#include <google/protobuf/message_lite.h>

namespace mlconv::spec {

struct Splice {
  std::uint64_t offset;  // in the output
  const void* bytes;
  std::size_t size;
};

class ModelFileStream final : public google::protobuf::io::ZeroCopyOutputStream {
 public:
  // `splices` sorted by offset, not overlapping; they must outlive the stream.
  ModelFileStream(int fd, const std::vector<Splice>& splices) : fd_(fd), splices_(splices) {}

  bool Next(void** data, int* size) override;
  void BackUp(int count) override { used_ -= static_cast<std::size_t>(count); }
  [[nodiscard]] std::int64_t ByteCount() const override { return static_cast<std::int64_t>(base_ + used_); }

  // Writes what the buffer holds; false on a write error (errno set).
  bool flush();
  // Whether the output reached the end of every splice.
  [[nodiscard]] bool covered_all_splices() const {
    return splices_.empty() || splices_.back().offset + splices_.back().size <= base_;
  }

 private:
  bool write_pieces();

  int fd_;
  const std::vector<Splice>& splices_;
  std::vector<char> buffer_ = std::vector<char>(std::size_t{1} << 20);
  std::size_t used_ = 0;
  std::uint64_t base_ = 0;         // output offset of buffer_[0]
  std::size_t next_splice_ = 0;    // the first splice not yet written in full
  std::uint64_t write_back_from_ = 0;
  std::vector<struct iovec> pieces_;
};

// Serializes `message` deterministically (sizes cached by ByteSizeLong) to `fd` through a
// ModelFileStream with `splices`; false on a write error (errno set). Throws when the
// output ended before a splice's end: the splices did not describe this message.
bool write_serialized(int fd, const google::protobuf::MessageLite& message, const std::vector<Splice>& splices);

}  // namespace mlconv::spec
