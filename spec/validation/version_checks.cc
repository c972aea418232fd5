// Checks of the declared specificationVersion: it must be one Core ML knows,
// and at least what the model's content needs (Core ML refuses a model that
// uses a feature newer than the version it declares).
#include <string>

#include "spec/spec_version.h"
#include "spec/validation/validator.h"

namespace mlconv::spec::validation {

namespace {

bool known_version(int version) { return version >= 1 && version <= newest_known_spec_version; }

std::string version_with_os(int version) {
  return std::to_string(version) + " (" + std::string(os_for_spec_version(version)) + ")";
}

void check_version_known(const ModelScope& scope, Reporter& reporter) {
  const int version = scope.model.specificationversion();
  if (known_version(version)) return;
  reporter.report("model",
                  "specificationVersion " + std::to_string(version) + " is not a Core ML specification version (1 to " +
                      std::to_string(newest_known_spec_version) + ")",
                  "set specificationVersion to " + version_with_os(minimum_spec_version(scope.model)) +
                      ", the lowest this model's content allows");
}

void check_version_sufficient(const ModelScope& scope, Reporter& reporter) {
  const int declared = scope.model.specificationversion();
  if (!known_version(declared)) return;  // E001 already says so
  const int needed = minimum_spec_version(scope.model);
  if (declared >= needed) return;
  // Name what needs more, the first few of them, so the fix can also be "drop that feature".
  constexpr int shown = 3;
  std::string reasons;
  int listed = 0;
  int more = 0;
  for (const VersionRequirement& requirement : version_requirements(scope.model)) {
    if (requirement.version <= declared) continue;
    if (listed == shown) {
      ++more;
      continue;
    }
    reasons += (listed == 0 ? "" : "; ") + requirement.where + " needs " + version_with_os(requirement.version) +
               " for " + requirement.feature;
    ++listed;
  }
  if (more > 0) reasons += "; and " + std::to_string(more) + " more";
  reporter.report("model",
                  "specificationVersion " + version_with_os(declared) + " is below " + version_with_os(needed) +
                      ", the lowest the content allows: " + reasons,
                  "set specificationVersion to " + std::to_string(needed) +
                      " (the model then needs that OS) or remove what needs the newer version");
}

}  // namespace

void register_version_checks(CheckList& list) {
  list.add({"E001", Severity::error, "specificationVersion is a known version (1 to 10)", check_version_known});
  list.add({"E002", Severity::error, "specificationVersion is at least what the model's content needs",
            check_version_sufficient});
}

}  // namespace mlconv::spec::validation
