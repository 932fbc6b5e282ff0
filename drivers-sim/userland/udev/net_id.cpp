// systemd-udevd's naming of network interfaces (udev-builtin-net_id.c, systemd 252 in
// Debian 12, systemd.net-naming-scheme(7)): when a netdev appears, udev reads its
// device's place from sysfs and renames it through rtnetlink. Path names:
// en + p<bus> + s<slot> [+ f<function>] (the function only for multi-function
// devices or functions above 0). A VF is named after its PF with a "v<index>"
// suffix since naming scheme v239 (NAMING_SR_IOV_V); older schemes named it by its
// own address. The kernel command line chooses: net.naming-scheme=v238 for the old
// VF names, net.ifnames=0 to keep the kernel's ethN. Debian 12's default is
// "latest" (v252).
#include <fmt/format.h>

#include <cstdio>
#include <sstream>

#include "drivers-sim/userland/tools.h"

namespace iovsim::host {

namespace {
constexpr const char* CLASS_NET = "/sys/class/net/";

struct pci_address {
  unsigned domain = 0, bus = 0, slot = 0, function = 0;
};

bool parse_address(const std::string& bdf, pci_address& a) {
  return std::sscanf(bdf.c_str(), "%4x:%2x:%2x.%1u", &a.domain, &a.bus, &a.slot, &a.function) == 4;
}

// realpath(3): every link followed, component by component, ".." taken physically.
std::string real_path(vfs& fs, const std::string& path, int depth = 0) {
  // The file system's own walk when it has one (kernfs: one lookup, not a readlink per
  // component, each a walk from the root).
  if (depth == 0)
    if (std::string p = fs.realpath(path); !p.empty()) return p;
  std::string out;
  std::istringstream in(path);
  std::string part;
  while (std::getline(in, part, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      out = out.substr(0, out.rfind('/'));
      continue;
    }
    const std::string candidate = out + "/" + part;
    const fs_result link = fs.readlink(candidate);
    if (link.error == 0 && depth < 40)
      out = real_path(fs, link.data[0] == '/' ? link.data : out + "/" + link.data, depth + 1);
    else
      out = candidate;
  }
  return out.empty() ? "/" : out;
}

std::string last_component(std::string path) {
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path.substr(path.rfind('/') + 1);
}

// The kernel command line's word for `key`, "" when absent.
std::string cmdline_value(vfs& fs, const std::string& key) {
  std::istringstream in(fs.read("/proc/cmdline").data);
  std::string tok;
  std::string value;
  while (in >> tok)
    if (tok.rfind(key + "=", 0) == 0) value = tok.substr(key.size() + 1);
  return value;
}

// The path name of the function whose sysfs directory is `dir` ("" if not PCI).
std::string path_name(vfs& fs, const std::string& dir) {
  pci_address a;
  if (!parse_address(last_component(dir), a)) return "";
  const std::string config = fs.read_some(dir + "/config", 64).data;  // is_pci_multifunction(): 64 bytes
  const bool multifunction = config.size() > 0x0e && (static_cast<uint8_t>(config[0x0e]) & 0x80);
  std::string name = "en";
  if (a.domain) name += fmt::format("P{}", a.domain);
  name += fmt::format("p{}s{}", a.bus, a.slot);
  if (a.function || multifunction) name += fmt::format("f{}", a.function);
  return name;
}

// The index of the VF `vf` among its PF's virtfnN links, or -1.
int vf_index(vfs& fs, const std::string& pf_dir, const std::string& vf) {
  std::istringstream names(fs.list(pf_dir).data);
  std::string n;
  while (std::getline(names, n)) {
    if (n.rfind("virtfn", 0) != 0) continue;
    if (last_component(fs.readlink(pf_dir + "/" + n).data) == vf) return std::stoi(n.substr(6));
  }
  return -1;
}
}  // namespace

void udev_net_added(syscalls& sys, const std::string& ifname) {
  vfs& fs = sys.files();
  if (cmdline_value(fs, "net.ifnames") == "0") return;
  const std::string dev = CLASS_NET + ifname + "/device";
  if (fs.readlink(dev).error) return;  // not a device interface
  const std::string dir = real_path(fs, dev);
  std::string name;
  const std::string scheme = cmdline_value(fs, "net.naming-scheme");
  const bool sr_iov_v = scheme.empty() || scheme == "latest" || scheme > "v238";  // "v239".."v252"
  const fs_result physfn = fs.readlink(dir + "/physfn");
  if (physfn.error == 0 && sr_iov_v) {
    const std::string pf_dir = real_path(fs, dir + "/physfn");
    const int index = vf_index(fs, pf_dir, last_component(dir));
    const std::string pf_name = path_name(fs, pf_dir);
    if (index >= 0 && !pf_name.empty()) name = fmt::format("{}v{}", pf_name, index);
  } else {
    name = path_name(fs, dir);
  }
  if (name.empty()) return;
  for (const link_info& l : sys.rtnl_getlink())
    if (l.name == ifname) sys.rtnl_setlink_name(l.ifindex, name);
}

}  // namespace iovsim::host
