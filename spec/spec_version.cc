// TEMPORARY: replaced by the full rule set.
#include "spec/spec_version.h"
namespace mlconv::spec {
std::string_view os_for_spec_version(int version) {
  static constexpr std::string_view names[] = {"?", "iOS 11", "iOS 11.2", "iOS 12", "iOS 13", "iOS 14", "iOS 15", "iOS 16", "iOS 17", "iOS 18", "iOS 26"};
  return version >= 1 && version <= newest_known_spec_version ? names[version] : names[0];
}
std::string_view long_os_for_spec_version(int version) { return os_for_spec_version(version); }
std::vector<VersionRequirement> version_requirements(const CoreML::Specification::Model&) { return {}; }
int minimum_spec_version(const CoreML::Specification::Model&) { return 1; }
}
