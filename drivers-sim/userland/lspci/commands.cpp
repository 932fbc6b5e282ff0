// The `lspci` command: pciutils' lspci over the linux-sysfs access method.
#include "drivers-sim/userland/lspci/sysfs_access.h"
#include "drivers-sim/userland/tools.h"

namespace iovsim::host {

void register_pciutils(shell& sh, syscalls& sys, const pci_ids& ids) {
  sh.add_command("lspci", [&sys, &ids](const std::vector<std::string>& argv, const std::string&) {
    const lspci_result r = lspci(read_pci_devices(sys, ids), std::vector<std::string>(argv.begin() + 1, argv.end()));
    return cmd_result{r.status, r.out, r.err, ""};
  }, "list PCI devices (pciutils options -v -vv -vvv -n -nn -t -k -x -xxxx -s -d -D)");
}

}  // namespace iovsim::host
