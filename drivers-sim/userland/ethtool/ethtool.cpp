// ethtool 6.1's -i and -S (ethtool.c dump_drvinfo(), do_gnicstats()), over the
// SIOCETHTOOL requests ETHTOOL_GDRVINFO and ETHTOOL_GSTRINGS/GSTATS. A plain
// `ethtool IF` shows the link state the kernel knows (netlink LINKSTATE_GET).
#include <fmt/format.h>

#include "drivers-sim/userland/tools.h"

namespace iovsim::host {

namespace {

const char* yes_no(bool b) { return b ? "yes" : "no"; }

cmd_result ethtool(syscalls& sys, const std::vector<std::string>& argv) {
  const std::string usage = "ethtool: bad command line argument(s)\nFor more information run ethtool -h\n";
  if (argv.size() == 2 && argv[1][0] != '-') {
    for (const link_info& l : sys.rtnl_getlink())
      if (l.name == argv[1])
        return cmd_result{
            0, fmt::format("Settings for {}:\n\tLink detected: {}\n", l.name, l.admin_up && l.carrier ? "yes" : "no"),
            "", ""};
    return cmd_result{75, "", "netlink error: no device matches name (offset 24)\nnetlink error: No such device\n",
                      "ENODEV"};
  }
  if (argv.size() != 3) return cmd_result{1, "", usage, ""};
  const std::string& what = argv[1];
  const std::string& ifname = argv[2];
  if (what == "-i" || what == "--driver") {
    drvinfo d;
    const int rc = sys.ethtool_drvinfo(ifname, d);
    if (rc)
      return cmd_result{71, "", fmt::format("Cannot get driver information: {}\n", errno_message(-rc)),
                        errno_name(-rc)};
    // n_stats, testinfo_len, eedump_len, regdump_len, n_priv_flags say "yes" when non-zero.
    return cmd_result{
        0,
        fmt::format("driver: {}\nversion: {}\nfirmware-version: {}\nexpansion-rom-version: {}\n"
                    "bus-info: {}\nsupports-statistics: {}\nsupports-test: {}\n"
                    "supports-eeprom-access: {}\nsupports-register-dump: {}\nsupports-priv-flags: {}\n",
                    d.driver, d.version, d.fw_version, d.expansion_rom_version, d.bus_info,
                    yes_no(d.supports_statistics), yes_no(d.supports_test), yes_no(d.supports_eeprom_access),
                    yes_no(d.supports_register_dump), yes_no(d.supports_priv_flags)),
        "", ""};
  }
  if (what == "-S" || what == "--statistics") {
    std::vector<std::pair<std::string, uint64_t>> stats;
    const int rc = sys.ethtool_stats(ifname, stats);
    if (rc)
      return cmd_result{71, "", fmt::format("Cannot get stats strings information: {}\n", errno_message(-rc)),
                        errno_name(-rc)};
    if (stats.empty()) return cmd_result{94, "", "no stats available\n", ""};
    std::string out = "NIC statistics:\n";
    for (const auto& [name, value] : stats) out += fmt::format("     {}: {}\n", name, value);
    return cmd_result{0, out, "", ""};
  }
  return cmd_result{1, "", usage, ""};
}

}  // namespace

void register_ethtool(shell& sh, syscalls& sys) {
  sh.add_command(
      "ethtool", [&sys](const std::vector<std::string>& argv, const std::string&) { return ethtool(sys, argv); },
      "network driver information: ethtool -i IF, ethtool -S IF, ethtool IF");
}

}  // namespace iovsim::host
