// Loads custom layer plugins with dlopen, checks their ABI version before
// touching anything else, and registers the classes they offer. A plugin's
// registration is all or nothing: nothing reaches the registry unless every
// class it offered was accepted.
#include "executor/plugins/plugin_loader.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <system_error>

#include "executor/plugins/plugin_guard.h"
#include "executor/plugins/plugin_kernel.h"
#include "spec/error.h"

namespace mlconv::exec {

namespace fs = std::filesystem;

namespace {

std::string quoted_plugin(const std::string& path) { return "plugin '" + path + "'"; }

// The host side of mlconv_registrar: collects classes, refusing bad ones.
struct Registration {
  std::shared_ptr<PluginLibrary> library;
  const KernelRegistry* registry = nullptr;
  std::vector<std::shared_ptr<PluginClass>> classes;
  std::string first_error;  // kept even if the plugin ignores register_class's status

  std::string refuse(const mlconv_custom_layer_class* offered) {
    if (offered == nullptr) return "register_class was given no class";
    if (offered->class_name == nullptr || offered->class_name[0] == '\0') return "registers a class with an empty name";
    const std::string name = offered->class_name;
    const auto missing = [&](const char* function) {
      return "class '" + name + "' has no " + function + " function";
    };
    if (offered->create == nullptr) return missing("create");
    if (offered->output_shapes == nullptr) return missing("output_shapes");
    if (offered->evaluate == nullptr) return missing("evaluate");
    for (const auto& known : classes)
      if (known->name == name) return "registers custom layer class '" + name + "' twice";
    if (const CustomLayerFactory* existing = registry->find_custom(name); existing != nullptr)
      return "registers custom layer class '" + name + "', which " + existing->provider + " already provides";
    return {};
  }

  static std::int32_t register_class(void* host, const mlconv_custom_layer_class* offered, mlconv_message* error) {
    auto* self = static_cast<Registration*>(host);
    try {
      std::string refusal = self->refuse(offered);
      if (!refusal.empty()) {
        if (self->first_error.empty()) self->first_error = refusal;
        return mlconv_fail(error, refusal.c_str());
      }
      auto cls = std::make_shared<PluginClass>();
      cls->library = self->library;
      cls->name = offered->class_name;
      cls->table = *offered;
      cls->table.class_name = cls->name.c_str();
      self->classes.push_back(std::move(cls));
      return MLCONV_OK;
    } catch (...) {
      if (self->first_error.empty()) self->first_error = "out of memory while registering a class";
      return mlconv_fail(error, "out of memory while registering a class");
    }
  }
};

template <class Function>
Function find_symbol(void* handle, const char* name) {
  dlerror();
  void* symbol = dlsym(handle, name);
  // POSIX gives no function-pointer cast from void*; copying the bits is the portable reading.
  Function function = nullptr;
  static_assert(sizeof function == sizeof symbol);
  std::memcpy(&function, &symbol, sizeof function);
  return function;
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// A plugin is code mlconv runs with the user's rights, so nobody else may be
// able to replace it: neither the file nor a directory it is found in may be
// writable by everyone. A sticky directory (/tmp) is fine: others cannot
// replace what they do not own there.
void refuse_world_writable(const std::string& path, const std::string& subject) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return;  // a missing file is reported by whoever opens it
  const bool directory = S_ISDIR(info.st_mode);
  if ((info.st_mode & S_IWOTH) == 0 || (directory && (info.st_mode & S_ISVTX) != 0)) return;
  throw Error(subject + " is writable by every user (mode " + octal_mode(info.st_mode) +
              "), so anyone could replace the code mlconv would run; remove that permission (chmod o-w '" + path +
              "') or move the plugin");
}

void add_files_of(const std::string& entry, bool must_exist, std::vector<std::string>& files) {
  std::error_code ec;
  const fs::file_status status = fs::status(entry, ec);
  if (ec || !fs::exists(status)) {
    if (must_exist) throw Error(quoted_plugin(entry) + " does not exist");
    return;
  }
  if (!fs::is_directory(status)) {
    files.push_back(entry);
    return;
  }
  refuse_world_writable(entry, "plugin directory '" + entry + "'");
  std::vector<std::string> found;
  for (const fs::directory_entry& item : fs::directory_iterator(entry, ec)) {
    if (item.path().extension() == ".so" && item.is_regular_file(ec)) found.push_back(item.path().string());
  }
  if (ec) throw Error("cannot list plugin directory '" + entry + "': " + ec.message(), Error::Kind::io);
  std::sort(found.begin(), found.end());
  files.insert(files.end(), found.begin(), found.end());
}

}  // namespace

std::vector<std::string> plugin_files_in_path(std::string_view path_list) {
  std::vector<std::string> files;
  while (!path_list.empty()) {
    const std::size_t colon = path_list.find(':');
    const std::string entry(path_list.substr(0, colon));
    path_list = colon == std::string_view::npos ? std::string_view{} : path_list.substr(colon + 1);
    if (!entry.empty()) add_files_of(entry, false, files);
  }
  return files;
}

std::vector<std::string> load_plugin(const std::string& path, KernelRegistry& registry) {
  const std::string plugin = quoted_plugin(path);
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(plugin + " does not exist");
  if (fs::is_directory(path, ec)) throw Error(plugin + " is a directory, not a shared library");
  // An absolute path keeps dlopen from searching the library path for a bare file name.
  const std::string absolute = fs::absolute(path, ec).string();
  refuse_world_writable(path, plugin);
  const std::string directory = fs::path(absolute).parent_path().string();
  refuse_world_writable(directory, "directory '" + directory + "', which holds " + plugin + ",");
  install_plugin_crash_handlers();
  const PluginCrashNote crash_note(path, "while loading and registering its classes");
  auto library = std::make_shared<PluginLibrary>();
  library->path = path;
  dlerror();
  {
    // Loading runs the library's static constructors.
    const PluginCallGuard guard(crash_note);
    library->handle = dlopen(absolute.c_str(), RTLD_NOW | RTLD_LOCAL);
  }
  if (library->handle == nullptr) {
    const char* reason = dlerror();
    throw Error("cannot load " + plugin + " as a shared library: " + (reason != nullptr ? reason : "unknown reason"));
  }

  const auto version = find_symbol<mlconv_plugin_abi_version_fn>(library->handle, MLCONV_PLUGIN_ABI_VERSION_SYMBOL);
  const auto enter = find_symbol<mlconv_plugin_register_fn>(library->handle, MLCONV_PLUGIN_REGISTER_SYMBOL);
  for (const auto& [symbol, name] : {std::pair<bool, const char*>{version != nullptr, MLCONV_PLUGIN_ABI_VERSION_SYMBOL},
                                     {enter != nullptr, MLCONV_PLUGIN_REGISTER_SYMBOL}}) {
    if (!symbol)
      throw Error(plugin + " is not an mlconv custom layer plugin: it has no entry point '" + name +
                  "' (define one with MLCONV_PLUGIN from <mlconv/custom_layer.hpp>)");
  }
  std::uint32_t plugin_version = 0;
  {
    const PluginCallGuard guard(crash_note);
    plugin_version = version();
  }
  if (plugin_version != MLCONV_CUSTOM_LAYER_ABI_VERSION)
    throw Error(plugin + " was built for custom layer ABI version " + std::to_string(plugin_version) +
                "; this mlconv uses version " + std::to_string(MLCONV_CUSTOM_LAYER_ABI_VERSION) +
                " (rebuild the plugin against this mlconv's <mlconv/custom_layer.h>)");

  Registration registration{library, &registry, {}, {}};
  const mlconv_registrar registrar{MLCONV_CUSTOM_LAYER_ABI_VERSION, &registration, &Registration::register_class};
  PluginMessage message;
  std::int32_t status = MLCONV_OK;
  {
    const PluginCallGuard guard(crash_note);
    status = enter(&registrar, message.get());
  }
  if (!registration.first_error.empty()) throw Error(plugin + " " + registration.first_error);
  if (status != MLCONV_OK) throw Error(plugin + " failed to register its classes: " + message.text());
  if (registration.classes.empty()) throw Error(plugin + " registers no custom layer classes");

  std::vector<std::string> names;
  for (std::shared_ptr<PluginClass>& cls : registration.classes) {
    std::shared_ptr<const PluginClass> shared = std::move(cls);
    names.push_back(shared->name);
    registry.add_custom(shared->name, CustomLayerFactory{shared->provider(), [shared](const Layer& layer, const BuildContext&) {
                                                           return make_plugin_kernel(shared, layer);
                                                         }});
  }
  return names;
}

std::vector<std::string> load_plugins(std::span<const std::string> explicit_paths, const char* plugin_path,
                                      KernelRegistry& registry) {
  std::vector<std::string> files;
  for (const std::string& path : explicit_paths) add_files_of(path, true, files);
  if (plugin_path != nullptr) {
    std::vector<std::string> from_variable = plugin_files_in_path(plugin_path);
    files.insert(files.end(), from_variable.begin(), from_variable.end());
  }
  std::set<fs::path> seen;
  std::vector<std::string> loaded;
  for (const std::string& file : files) {
    std::error_code ec;
    fs::path identity = fs::weakly_canonical(file, ec);
    if (ec) identity = file;
    if (!seen.insert(identity).second) continue;
    load_plugin(file, registry);
    loaded.push_back(file);
  }
  return loaded;
}

std::vector<std::string> load_plugins(std::span<const std::string> explicit_paths, KernelRegistry& registry) {
  return load_plugins(explicit_paths, std::getenv(plugin_path_variable), registry);
}

}  // namespace mlconv::exec
