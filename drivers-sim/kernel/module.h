// Loadable kernel modules (kernel/module/main.c load_module, kernel/params.c
// parse_args): the modules installed under /lib/modules/<release>, which of them are
// loaded with which parameters, and the parsing every module_param() goes through.
// A module is C++ code registered at boot (each subsystem installs its own, e.g.
// net/intel_modules.cpp); its init registers drivers with their bus.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "drivers-sim/kernel/kernel.h"

namespace iovsim::host {

// module_param(name, type, perm): the types iovsim's modules use.
struct module_param_def {
  enum class type { uint, int_, charp, bool_ };
  std::string name;
  type kind = type::uint;
  std::string description;   // MODULE_PARM_DESC
};

class kernel_module {
 public:
  virtual ~kernel_module() = default;
  virtual std::string name() const = 0;
  virtual std::vector<module_param_def> params() const { return {}; }
  // module_init with the parameters that parsed (name -> value as given): 0 or
  // -errno (the load then fails).
  virtual int init(const std::map<std::string, std::string>& params) = 0;
  // module_exit.
  virtual void exit() = 0;
  // MODULE_DEVICE_TABLE: whether its device table matches a MODALIAS string.
  virtual bool matches_alias(const std::string& /*modalias*/) const { return false; }
};

class module_loader {
 public:
  explicit module_loader(kernel_log& log) : m_log(log) {}
  ~module_loader();

  // Installs a module (its .ko under /lib/modules). Names are unique.
  void install(std::unique_ptr<kernel_module> m);

  // finit_module: 0, -ENOENT (not installed), -EEXIST (loaded), -EINVAL (a parameter
  // did not parse: ``<mod>: `<val>' invalid for parameter `<name>'`` in the log), or
  // what init returned. Unknown parameters are logged and ignored, as params.c does.
  int load(const std::string& name, const std::string& params);
  // delete_module: 0 or -ENOENT.
  int unload(const std::string& name);
  bool loaded(const std::string& name) const;
  // Loaded modules, newest first (/proc/modules order).
  std::vector<std::string> loaded_modules() const;
  // A loaded module's parameter value as given ("" when not given).
  std::string param(const std::string& module, const std::string& name) const;
  // depmod's modules.alias: the installed module whose table matches, "" for none.
  std::string module_for_alias(const std::string& modalias) const;

 private:
  struct loaded_module {
    kernel_module* module;
    std::map<std::string, std::string> params;
  };
  kernel_module* find(const std::string& name) const;

  kernel_log& m_log;
  std::vector<std::unique_ptr<kernel_module>> m_installed;
  std::vector<std::pair<std::string, loaded_module>> m_loaded;   // load order
};

}  // namespace iovsim::host
