// The userland programs of the simulated host, each registered with the shell by
// the package it comes from (one place per tool: its folder). They reach the kernel
// only through files (kernel/vfs.h) and system calls (kernel/syscalls.h), as the
// real tools do.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "drivers-sim/kernel/syscalls.h"
#include "drivers-sim/userland/lspci/pci_ids.h"
#include "drivers-sim/userland/shell/shell.h"

namespace iovsim::host {

void register_kmod(shell& sh, syscalls& sys);                        // kmod/: modprobe, rmmod, lsmod
void register_iproute2(shell& sh, syscalls& sys);                    // iproute2/: ip, bridge
void register_util_linux(shell& sh, syscalls& sys);                  // util-linux/: dmesg
void register_busybox(shell& sh, syscalls& sys);                     // busybox/: devmem
void register_iputils(shell& sh, syscalls& sys);                     // iputils/: ping
void register_ethtool(shell& sh, syscalls& sys);                     // ethtool/: ethtool
void register_pciutils(shell& sh, syscalls& sys, const pci_ids& ids);  // lspci/: lspci

// systemd-udevd's kmod context: udevd loads the modprobe configuration once and
// reloads it only when it changed (udev-builtin-kmod.c, kmod_validate_resources()
// comparing the files' timestamps), not once per uevent.
struct udev_kmod_context {
  uint64_t stamp = 0;              // vfs::files_stamp() when `lines` were read (0: never)
  std::vector<std::string> lines;  // /etc/modprobe.d/*.conf
};
// systemd-udevd's handling of a device's KOBJ_ADD uevent: `modprobe -b MODALIAS`
// (kmod's alias lookup, blacklists honoured, options from /etc/modprobe.d).
void udev_device_added(syscalls& sys, udev_kmod_context& kmod, const std::string& modalias);
// ... and of a new network interface: the predictable name (udev/net_id.cpp).
void udev_net_added(syscalls& sys, const std::string& ifname);

}  // namespace iovsim::host
