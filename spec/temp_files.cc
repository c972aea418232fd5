// A fixed table of live temporary files, read from signal handlers. Slots are
// claimed with a compare-and-swap and published only once their path is
// complete, so a handler never sees a half-copied name.
#include "spec/temp_files.h"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>

namespace mlconv::spec {

namespace {

enum SlotState : int { slot_free = 0, slot_filling = 1, slot_live = 2 };

struct Slot {
  std::atomic<int> state{slot_free};
  char path[4096]{};
};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler reads slot states");

// More files than this are never written at once; an extra one just goes unregistered.
std::array<Slot, 64> slots;

extern "C" void remove_and_reraise(int signal_number) {
  remove_live_temp_files();
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  sigaction(signal_number, &default_action, nullptr);
  raise(signal_number);
}

}  // namespace

LiveTempFile::LiveTempFile(const std::filesystem::path& path) noexcept {
  const std::string& text = path.native();
  if (text.size() >= sizeof(Slot::path)) return;
  for (int i = 0; i < static_cast<int>(slots.size()); ++i) {
    int expected = slot_free;
    Slot& slot = slots[static_cast<std::size_t>(i)];
    if (!slot.state.compare_exchange_strong(expected, slot_filling)) continue;
    std::memcpy(slot.path, text.c_str(), text.size() + 1);
    slot.state.store(slot_live);
    slot_ = i;
    return;
  }
}

LiveTempFile::~LiveTempFile() {
  if (slot_ >= 0) slots[static_cast<std::size_t>(slot_)].state.store(slot_free);
}

void remove_live_temp_files() noexcept {
  for (Slot& slot : slots)
    if (slot.state.load() == slot_live) ::unlink(slot.path);
}

void install_interrupt_cleanup() {
  static const bool installed = [] {
    constexpr int signals[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction action {};
    action.sa_handler = remove_and_reraise;
    sigemptyset(&action.sa_mask);
    for (int signal_number : signals) sigaddset(&action.sa_mask, signal_number);  // one cleanup at a time
    for (int signal_number : signals) {
      // A signal the parent ignores (nohup, a background job) stays ignored.
      struct sigaction previous {};
      if (sigaction(signal_number, nullptr, &previous) == 0 && previous.sa_handler == SIG_IGN) continue;
      sigaction(signal_number, &action, nullptr);
    }
    return true;
  }();
  (void)installed;
}

}  // namespace mlconv::spec
