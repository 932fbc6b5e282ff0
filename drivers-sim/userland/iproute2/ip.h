// What iproute2's programs share (ip.cpp, ip_addr.cpp, ip_link.cpp, bridge.cpp): the
// link line printer and the commands.
#pragma once

#include <string>
#include <vector>

#include "drivers-sim/userland/tools.h"

namespace iovsim::host::ip {

std::string format_mac(uint64_t mac);
// print_linkinfo(): `ip link` (do_link: link mode, -s counters, VFs) or `ip addr`.
std::string show_link(const link_info& l, bool do_link, bool stats);
// print_stats64(): the RX/TX block of `ip -s link`, without its last newline.
std::string link_stats_block(const link_stats& s);
const link_info* find(const std::vector<link_info>& links, const std::string& name);

// argv from the object on ("addr", "add", ...).
cmd_result ip_addr(syscalls& sys, const std::vector<std::string>& a, const std::string& usage);
cmd_result ip_route(syscalls& sys, const std::vector<std::string>& a, const std::string& usage);
cmd_result ip_neigh(syscalls& sys, const std::vector<std::string>& a, const std::string& usage);
// `ip link set ...` (ip_link.cpp): a[0] is "link", a[1] "set".
cmd_result ip_link_set(syscalls& sys, const std::vector<std::string>& a, const std::string& usage);
cmd_result ip_link_add(syscalls& sys, const std::vector<std::string>& a);
cmd_result ip_link_del(syscalls& sys, const std::vector<std::string>& a);
// The `bridge` program (bridge.cpp): argv as the shell passes it.
cmd_result bridge_main(syscalls& sys, const std::vector<std::string>& argv);

}  // namespace iovsim::host::ip
