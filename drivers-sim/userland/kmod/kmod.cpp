// kmod's modprobe, rmmod and lsmod (kmod v30 tools/): modprobe reads
// /etc/modprobe.d/*.conf itself for `options` and `blacklist`, then asks the kernel
// to load the module with the parameters (finit_module); lsmod reads /proc/modules.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <sstream>

#include "drivers-sim/userland/tools.h"

namespace iovsim::host {

namespace {
constexpr const char* CONF_DIR = "/etc/modprobe.d";

// Every line of /etc/modprobe.d/*.conf, files in name order.
std::vector<std::string> conf_lines(vfs& fs) {
  std::vector<std::string> lines;
  std::istringstream names(fs.list(CONF_DIR).data);
  std::string name;
  while (std::getline(names, name)) {
    if (name.size() < 5 || name.compare(name.size() - 5, 5, ".conf") != 0) continue;
    const fs_result f = fs.read(std::string(CONF_DIR) + "/" + name);
    if (f.error) continue;
    std::istringstream in(f.data);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  return lines;
}

bool blacklisted(const std::vector<std::string>& conf, const std::string& module) {
  for (const std::string& line : conf) {
    std::istringstream in(line);
    std::string word, name;
    if (in >> word >> name && word == "blacklist" && name == module) return true;
  }
  return false;
}

// `options NAME k=v ...` lines for the module, in file order.
std::string conf_options(vfs& fs, const std::string& module) {
  std::string out;
  for (const std::string& line : conf_lines(fs)) {
    std::istringstream in(line);
    std::string word, name, kv;
    if (!(in >> word >> name) || word != "options" || name != module) continue;
    while (in >> kv) out += (out.empty() ? "" : " ") + kv;
  }
  return out;
}

// Whether /proc/modules lists the module.
bool loaded(syscalls& sys, const std::string& name) {
  std::istringstream in(sys.files().read("/proc/modules").data);
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, name.size() + 1, name + " ") == 0) return true;
  return false;
}

// modprobe NAME [k=v ...]: 0, or a status with the message in r.
cmd_result modprobe(syscalls& sys, const std::string& given, const std::vector<std::string>& args) {
  // kmod's modname_normalize(): "vfio-pci" is the module vfio_pci.
  std::string name = given;
  std::replace(name.begin(), name.end(), '-', '_');
  if (loaded(sys, name)) return cmd_result{};   // already loaded: nothing to do
  std::string params = conf_options(sys.files(), name);
  for (const std::string& kv : args) params += (params.empty() ? "" : " ") + kv;
  const int rc = sys.init_module(name, params);
  if (rc == 0 || rc == -EEXIST) return cmd_result{};
  if (rc == -ENOENT)
    return cmd_result{1, "", fmt::format("modprobe: FATAL: Module {} not found in directory /lib/modules/{}\n", name,
                                         sys.release()),
                      errno_name(ENOENT)};
  return cmd_result{1, "", fmt::format("modprobe: ERROR: could not insert '{}': {}\n", name, errno_message(-rc)),
                    errno_name(-rc)};
}

cmd_result rmmod(syscalls& sys, const std::string& name) {
  const int rc = sys.delete_module(name);
  if (rc == 0) return cmd_result{};
  return cmd_result{1, "", fmt::format("rmmod: ERROR: Module {} is not currently loaded\n", name), errno_name(-rc)};
}
}  // namespace

void udev_device_added(syscalls& sys, udev_kmod_context& kmod, const std::string& modalias) {
  const std::string module = sys.module_for_alias(modalias);
  if (module.empty()) return;
  const uint64_t stamp = sys.files().files_stamp();
  if (!stamp || stamp != kmod.stamp) {
    kmod.lines = conf_lines(sys.files());
    kmod.stamp = stamp;
  }
  if (blacklisted(kmod.lines, module)) return;
  modprobe(sys, module, {});
}

void register_kmod(shell& sh, syscalls& sys) {
  sh.add_command("modprobe", [&sys](const std::vector<std::string>& argv, const std::string&) {
    std::vector<std::string> args(argv.begin() + 1, argv.end());
    const bool remove = !args.empty() && args[0] == "-r";
    if (remove) args.erase(args.begin());
    if (args.empty()) return cmd_result{1, "", "modprobe: ERROR: missing module name.\n", ""};
    if (remove) return rmmod(sys, args[0]);
    return modprobe(sys, args[0], std::vector<std::string>(args.begin() + 1, args.end()));
  }, "load a kernel module: modprobe NAME [param=value ...], modprobe -r NAME");
  sh.add_command("rmmod", [&sys](const std::vector<std::string>& argv, const std::string&) {
    if (argv.size() < 2) return cmd_result{1, "", "rmmod: ERROR: missing module name.\n", ""};
    return rmmod(sys, argv[1]);
  }, "unload a kernel module");
  sh.add_command("lsmod", [&sys](const std::vector<std::string>&, const std::string&) {
    // /proc/modules: "name size refcount deps state address" per module.
    std::string out = "Module                  Size  Used by\n";
    std::istringstream in(sys.files().read("/proc/modules").data);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string name;
      unsigned long size = 0, refs = 0;
      if (f >> name >> size >> refs) out += fmt::format("{:<24}{:>6}  {}\n", name, size, refs);
    }
    return cmd_result{0, out, "", ""};
  }, "list loaded kernel modules");
}

}  // namespace iovsim::host
