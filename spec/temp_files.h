// The temporary files being written right now, so that an interrupted run
// (SIGINT, SIGTERM, SIGHUP) or a crash leaves no partial file behind. Writers
// register a temporary file while it exists (write_atomically in model_io does);
// the CLI installs the interrupt handlers once at start.
#pragma once

#include <filesystem>

namespace mlconv::spec {

// Registers `path` for removal on an interrupt for the lifetime of this object.
// Cheap (a fixed table, no allocation); a full table only means that file is
// not cleaned up on an interrupt.
class LiveTempFile {
 public:
  explicit LiveTempFile(const std::filesystem::path& path) noexcept;
  ~LiveTempFile();
  LiveTempFile(const LiveTempFile&) = delete;
  LiveTempFile& operator=(const LiveTempFile&) = delete;

 private:
  int slot_ = -1;
};

// Unlinks every registered temporary file. Async-signal-safe: it only reads
// lock-free atomics and preformatted paths and calls unlink(2).
void remove_live_temp_files() noexcept;

// Installs handlers for SIGINT, SIGTERM and SIGHUP that remove the live
// temporary files and then re-raise the signal with its default action, so the
// parent sees the usual "killed by SIGINT" status. Idempotent.
void install_interrupt_cleanup();

}  // namespace mlconv::spec
