#include "spec/error.h"

namespace mlconv {

Error::Error(std::string message, Kind kind) : kind_(kind), message_(std::move(message)) { render(); }

Error& Error::in_file(std::string file) {
  if (file_.empty()) {
    file_ = std::move(file);
    render();
  }
  return *this;
}

Error& Error::within(std::string location) {
  locations_.push_back(std::move(location));
  render();
  return *this;
}

void Error::render() {
  rendered_.clear();
  if (!file_.empty()) rendered_ += file_ + ": ";
  for (auto it = locations_.rbegin(); it != locations_.rend(); ++it) rendered_ += *it + ": ";
  rendered_ += message_;
}

std::string describe_named(std::string_view what, std::string_view name, std::string_view type) {
  std::string out(what);
  out += " '";
  out += name;
  out += "'";
  if (!type.empty()) {
    out += " (";
    out += type;
    out += ")";
  }
  return out;
}

}  // namespace mlconv
