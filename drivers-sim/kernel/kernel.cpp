#include "drivers-sim/kernel/kernel.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <systemc>

namespace iovsim::host {

kernel_params kernel_params::parse(const std::string& cmdline) {
  kernel_params p;
  p.cmdline = cmdline;
  std::istringstream in(cmdline);
  std::string tok;
  while (in >> tok) {
    // pci= takes a comma-separated list (kernel-parameters.txt).
    if (tok.rfind("pci=", 0) == 0) {
      std::istringstream opts(tok.substr(4));
      std::string o;
      while (std::getline(opts, o, ',')) {
        if (o == "assign-busses") p.assign_busses = true;
        else if (o == "realloc" || o == "realloc=on") p.realloc = true;
        else if (o == "realloc=off") p.realloc = false;
        else if (o == "noari") p.noari = true;
        else if (o == "noats") p.noats = true;
        else p.unknown.push_back("pci=" + o);
      }
    } else if (tok.rfind("intel_iommu=", 0) == 0) {
      // A comma-separated list too (intel/iommu.c intel_iommu_setup()).
      std::istringstream opts(tok.substr(12));
      std::string o;
      while (std::getline(opts, o, ',')) {
        if (o == "on")
          p.intel_iommu = true;
        else if (o == "off")
          p.intel_iommu = false;
        else if (o == "sp_off")
          p.iommu_superpage = false;  // "Disable supported super page"
        else
          p.unknown.push_back("intel_iommu=" + o);
      }
    } else if (tok == "iommu=pt") {
      p.iommu_pt = true;
    } else if (tok == "iommu=nopt") {
      p.iommu_pt = false;
    } else if (tok == "iommu.strict=1") {
      p.iommu_strict = true;
    } else if (tok == "iommu.strict=0") {
      p.iommu_strict = false;
    } else if (tok.rfind("net.naming-scheme=", 0) == 0 || tok.rfind("net.ifnames=", 0) == 0) {
      // systemd-udevd's options: the kernel passes them on (udev reads /proc/cmdline).
    } else if (tok != "quiet") {
      p.unknown.push_back(tok);
    }
  }
  return p;
}

kernel_log::kernel_log() : m_boot_s(sc_core::sc_time_stamp().to_seconds()) {}

void kernel_log::print(const std::string& text) {
  // Time since boot; a log made before the clock was reset (a fresh SystemC
  // context) starts from 0 rather than converting a negative number (UB).
  const double t = std::max(0.0, sc_core::sc_time_stamp().to_seconds() - m_boot_s);
  const auto us = static_cast<unsigned long long>(t * 1e6 + 0.5);
  m_lines.push_back(fmt::format("[{:5}.{:06}] {}", us / 1000000, us % 1000000, text));
}

}  // namespace iovsim::host
