#include "spec/model_file_stream.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include <google/protobuf/io/coded_stream.h>

#include "spec/error.h"

namespace mlconv::spec {

namespace {
constexpr std::uint64_t write_back_step = std::uint64_t{32} << 20;
}  // namespace

bool ModelFileStream::Next(void** data, int* size) {
  if (used_ == buffer_.size() && !flush()) return false;
  *data = buffer_.data() + used_;
  *size = static_cast<int>(buffer_.size() - used_);
  used_ = buffer_.size();
  return true;
}

bool ModelFileStream::flush() {
  const std::uint64_t end = base_ + used_;
  pieces_.clear();
  auto add = [&](const void* data, std::uint64_t length) {
    if (length > 0) pieces_.push_back({const_cast<void*>(data), static_cast<std::size_t>(length)});
  };
  std::uint64_t at = base_;
  while (at < end) {
    while (next_splice_ < splices_.size() && splices_[next_splice_].offset + splices_[next_splice_].size <= at) ++next_splice_;
    if (next_splice_ == splices_.size() || splices_[next_splice_].offset >= end) {
      add(buffer_.data() + (at - base_), end - at);
      break;
    }
    const Splice& splice = splices_[next_splice_];
    if (splice.offset > at) {
      add(buffer_.data() + (at - base_), splice.offset - at);
      at = splice.offset;
    }
    const std::uint64_t stop = std::min(end, splice.offset + splice.size);
    add(static_cast<const char*>(splice.bytes) + (at - splice.offset), stop - at);
    at = stop;
  }
  if (!write_pieces()) return false;
  base_ = end;
  used_ = 0;
#ifdef SYNC_FILE_RANGE_WRITE
  if (base_ - write_back_from_ >= write_back_step) {
    // Only a hint: a file system without it still gets the final fsync.
    ::sync_file_range(fd_, static_cast<off_t>(write_back_from_), static_cast<off_t>(base_ - write_back_from_),
                      SYNC_FILE_RANGE_WRITE);
    write_back_from_ = base_;
  }
#endif
  return true;
}

bool ModelFileStream::write_pieces() {
  std::size_t first = 0;
  while (first < pieces_.size()) {
    const int count = static_cast<int>(std::min<std::size_t>(pieces_.size() - first, IOV_MAX));
    const ssize_t written = ::writev(fd_, pieces_.data() + first, count);
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    auto left = static_cast<std::size_t>(written);
    while (first < pieces_.size() && left >= pieces_[first].iov_len) left -= pieces_[first++].iov_len;
    if (left > 0) {
      pieces_[first].iov_base = static_cast<char*>(pieces_[first].iov_base) + left;
      pieces_[first].iov_len -= left;
    }
  }
  return true;
}

bool write_serialized(int fd, const google::protobuf::MessageLite& message, const std::vector<Splice>& splices) {
  ModelFileStream stream(fd, splices);
  {
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeWithCachedSizes(&coded);
    if (coded.HadError()) return false;
  }
  if (!stream.flush()) return false;
  if (!stream.covered_all_splices()) throw Error("internal error: the serialized model ended before a deferred weight's place");
  return true;
}

}  // namespace mlconv::spec
