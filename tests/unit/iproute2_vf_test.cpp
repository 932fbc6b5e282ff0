// The administrator's commands for an SR-IOV PF's embedded switch, typed in a booted
// host's shell: `ip link set IF vf N ...`, `promisc`/`allmulticast`, the VF lines of
// `ip link show` and `bridge fdb`. The interface is a netdev whose ops record every
// hook the network core calls (the real drivers' hooks are tested with the drivers),
// so each check sees what reached the driver, with which values and in which order.
// Expected texts are iproute2 6.1's (ip/iplink.c, ip/ipaddress.c, bridge/fdb.c) and
// the kernel's (net/core/dev.c, rtnetlink.c).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/host_fixture.h"

namespace iovsim::host {
namespace {

using test::dmesg;
using test::out;

// A machine without a NIC: the only interface is the one the test registers.
const char* const BARE = R"(
  root_port { name: "rp1" device: 1 }
)";

// A PF driver with four VFs whose hooks write down what they were asked.
struct recording_ops : netdev_ops {
  std::vector<std::string> calls;
  std::vector<vf_link_info> vfs = std::vector<vf_link_info>(4);
  int fdb_rc = 1;  // 1: the core's default FDB, else what ndo_fdb_add/del return

  int open(netdev& nd) override {
    calls.push_back("open");
    nd.carrier = true;
    return 0;
  }
  int stop(netdev& nd) override {
    calls.push_back("stop");
    nd.carrier = false;
    return 0;
  }
  std::vector<vf_link_info> vf_config(netdev&) override { return vfs; }
  int set_vf_mac(netdev&, unsigned vf, uint64_t mac) override {
    calls.push_back(fmt::format("mac {} {}", vf, format_mac(mac)));
    if (vf >= vfs.size()) return -EINVAL;
    vfs[vf].mac = mac;
    return 0;
  }
  int set_vf_vlan(netdev&, unsigned vf, unsigned vlan, unsigned qos, uint16_t proto) override {
    calls.push_back(fmt::format("vlan {} {} {} {:#x}", vf, vlan, qos, proto));
    if (vf >= vfs.size()) return -EINVAL;
    vfs[vf].vlan = vlan;
    vfs[vf].qos = qos;
    vfs[vf].vlan_proto = proto;
    return 0;
  }
  int set_vf_spoofchk(netdev&, unsigned vf, bool on) override {
    calls.push_back(fmt::format("spoofchk {} {}", vf, int{on}));
    if (vf >= vfs.size()) return -EINVAL;
    vfs[vf].spoofchk = on;
    return 0;
  }
  int set_vf_trust(netdev&, unsigned vf, bool on) override {
    calls.push_back(fmt::format("trust {} {}", vf, int{on}));
    if (vf >= vfs.size()) return -EINVAL;
    vfs[vf].trusted = on;
    return 0;
  }
  int set_vf_link_state(netdev&, unsigned vf, unsigned state) override {
    calls.push_back(fmt::format("state {} {}", vf, state));
    if (vf >= vfs.size()) return -EINVAL;
    vfs[vf].link_state = state == 0 ? "auto" : state == 1 ? "enable" : "disable";
    return 0;
  }
  int set_vf_rate(netdev&, unsigned vf, unsigned min_mbps, unsigned max_mbps) override {
    calls.push_back(fmt::format("rate {} {} {}", vf, min_mbps, max_mbps));
    if (vf >= vfs.size()) return -EINVAL;
    vfs[vf].min_tx_rate = min_mbps;
    vfs[vf].max_tx_rate = max_mbps;
    return 0;
  }
  int fdb_add(netdev& nd, uint64_t mac, uint16_t vid, uint16_t state, bool excl) override {
    calls.push_back(fmt::format("fdb_add {} {} {:#x} {}", format_mac(mac), vid, state, excl));
    return fdb_rc == 1 ? netdev_ops::fdb_add(nd, mac, vid, state, excl) : fdb_rc;
  }
  int fdb_del(netdev& nd, uint64_t mac, uint16_t vid) override {
    calls.push_back(fmt::format("fdb_del {} {}", format_mac(mac), vid));
    return fdb_rc == 1 ? netdev_ops::fdb_del(nd, mac, vid) : fdb_rc;
  }
  void set_rx_mode(netdev& nd) override {
    std::string mc;
    for (const netdev_hw_addr& ha : nd.mc) mc += " " + format_mac(ha.addr);
    calls.push_back(fmt::format("rx_mode promisc={} allmulti={} uc={} mc={}", (nd.flags & IFF_PROMISC) ? 1 : 0,
                                (nd.flags & IFF_ALLMULTI) ? 1 : 0, nd.uc.size(), nd.mc.size()));
  }
  // The calls since the last look.
  std::vector<std::string> take() {
    std::vector<std::string> out;
    out.swap(calls);
    return out;
  }
};

// A driver with no SR-IOV and no filtering hooks (the netdev_ops defaults).
struct plain_ops : netdev_ops {
  int open(netdev&) override { return 0; }
  int stop(netdev&) override { return 0; }
};

class iproute2_vf : public test::host_fixture {
 protected:
  // eth0 (ifindex 2) on a PF at 03:00.0 driven by `ops`.
  void with_pf(const std::function<void(host_system&, netdev&)>& body) {
    boot(BARE, 1, [&](host_system& h) {
      pf.bus = 3;
      netdev& nd = h.net().register_netdev(pf, "fake", 0x02000000aa01ull, ops);
      nd.unicast_flt = true;
      body(h, nd);
      h.net().unregister_netdev(pf);
    });
  }
  pci_dev pf;
  recording_ops ops;
};

using calls = std::vector<std::string>;

cmd_result run(host_system& h, const std::string& line) { return h.run(line); }

TEST_F(iproute2_vf, each_vf_attribute_reaches_its_hook) {
  with_pf([&](host_system& h, netdev&) {
    EXPECT_EQ(out(h, "ip link set eth0 vf 1 mac 02:00:00:00:01:01"), "");
    EXPECT_EQ(ops.take(), calls{"mac 1 02:00:00:00:01:01"});
    EXPECT_EQ(out(h, "ip link set dev eth0 vf 2 vlan 100 qos 3"), "");
    EXPECT_EQ(ops.take(), calls{"vlan 2 100 3 0x8100"});
    EXPECT_EQ(out(h, "ip link set eth0 vf 3 vlan 7 proto 802.1ad"), "");
    EXPECT_EQ(ops.take(), calls{"vlan 3 7 0 0x88a8"});
    EXPECT_EQ(out(h, "ip link set eth0 vf 0 spoofchk off"), "");
    EXPECT_EQ(out(h, "ip link set eth0 vf 0 trust on"), "");
    EXPECT_EQ(out(h, "ip link set eth0 vf 0 state disable"), "");
    EXPECT_EQ(out(h, "ip link set eth0 vf 1 state e"), "");  // iproute2's matches(): a prefix will do
    EXPECT_EQ(ops.take(), (calls{"spoofchk 0 0", "trust 0 1", "state 0 2", "state 1 1"}));
    EXPECT_EQ(out(h, "ip link set eth0 vf 2 max_tx_rate 1000 min_tx_rate 100"), "");
    EXPECT_EQ(ops.take(), calls{"rate 2 100 1000"});
    // One bound alone: iproute2 reads the other from the kernel's VF report.
    EXPECT_EQ(out(h, "ip link set eth0 vf 2 max_tx_rate 800"), "");
    EXPECT_EQ(ops.take(), calls{"rate 2 100 800"});
    // The legacy `rate` is IFLA_VF_TX_RATE: the kernel keeps the minimum it knows.
    EXPECT_EQ(out(h, "ip link set eth0 vf 2 rate 500"), "");
    EXPECT_EQ(ops.take(), calls{"rate 2 100 500"});
    // Several attributes in one command reach the driver in do_setvfinfo()'s order.
    EXPECT_EQ(out(h, "ip link set eth0 vf 3 trust on state auto spoofchk on vlan 0 mac 02:00:00:00:03:03"), "");
    EXPECT_EQ(ops.take(),
              (calls{"mac 3 02:00:00:00:03:03", "vlan 3 0 0 0x8100", "spoofchk 3 1", "state 3 0", "trust 3 1"}));
    // With the flags in one RTM_NEWLINK: dev_change_flags() first, then the VF.
    EXPECT_EQ(out(h, "ip link set eth0 vf 0 trust off up"), "");
    EXPECT_EQ(ops.take(), (calls{"open", "rx_mode promisc=0 allmulti=0 uc=0 mc=0",
                                 "rx_mode promisc=0 allmulti=0 uc=0 mc=1", "trust 0 0"}));
  });
}

TEST_F(iproute2_vf, ip_link_show_prints_every_vf_attribute) {
  with_pf([&](host_system& h, netdev&) {
    out(h, "ip link set eth0 vf 0 mac 02:00:00:00:00:10 vlan 100 qos 5");
    out(h, "ip link set eth0 vf 1 vlan 20 proto 802.1ad max_tx_rate 2000 min_tx_rate 500 trust on");
    out(h, "ip link set eth0 vf 2 rate 300 spoofchk off state enable");
    ops.vfs[3].has_rss_query = true;
    EXPECT_EQ(out(h, "ip link show eth0"),
              "2: eth0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n"
              "    link/ether 02:00:00:00:aa:01 brd ff:ff:ff:ff:ff:ff\n"
              "    vf 0     link/ether 02:00:00:00:00:10 brd ff:ff:ff:ff:ff:ff, vlan 100, qos 5, spoof checking on, "
              "link-state auto, trust off\n"
              "    vf 1     link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff, vlan 20, vlan protocol 802.1ad, "
              "tx rate 2000 (Mbps), max_tx_rate 2000Mbps, min_tx_rate 500Mbps, spoof checking on, link-state auto, "
              "trust on\n"
              "    vf 2     link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff, tx rate 300 (Mbps), "
              "max_tx_rate 300Mbps, spoof checking off, link-state enable, trust off\n"
              "    vf 3     link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff, spoof checking on, link-state auto, "
              "trust off, query_rss off\n");
  });
}

// Bad input, each with iproute2's words and exit status, or the kernel's answer.
TEST_F(iproute2_vf, bad_input_gets_iproute2s_errors) {
  struct bad {
    const char* line;
    int status;
    const char* err;
  };
  const bad corpus[] = {
      {"ip link set eth0 vf x mac 02:00:00:00:00:01", 255, "Error: argument \"x\" is wrong: Invalid \"vf\" value\n"},
      {"ip link set eth0 vf 0 mac 02:00:zz:00:00:01", 1, "\"zz\" is invalid lladdr.\n"},
      {"ip link set eth0 vf 0 mac 02:00:00:00:01", 1, "Invalid address length 5 - must be 6 bytes\n"},
      {"ip link set eth0 vf 0 mac 10.0.0.1", 1, "Invalid address length 4 - must be 6 bytes\n"},
      {"ip link set eth0 vf 0 vlan 4096", 255, "Error: argument \"4096\" is wrong: Invalid \"vlan\" value\n"},
      {"ip link set eth0 vf 0 vlan 5 qos high", 255, "Error: argument \"high\" is wrong: Invalid \"qos\" value\n"},
      {"ip link set eth0 vf 0 vlan 5 proto ip", 255,
       "Error: argument \"ip\" is wrong: Invalid \"vlan protocol\" value - supported 802.1Q, 802.1ad\n"},
      {"ip link set eth0 vf 0 vlan 5 proto qinq", 255, "Error: argument \"qinq\" is wrong: protocol is invalid\n"},
      {"ip link set eth0 vf 0 spoofchk maybe", 1,
       "Error: argument of \"spoofchk\" must be one of \"off\", \"on\", not \"maybe\"\n"},
      {"ip link set eth0 vf 0 state sleepy", 255, "Error: argument \"sleepy\" is wrong: Invalid \"state\" value\n"},
      {"ip link set eth0 vf 0 rate fast", 255, "Error: argument \"fast\" is wrong: Invalid \"rate\" value\n"},
      {"ip link set eth0 vf 0", 255, "Command line is not complete. Try option \"help\"\n"},
      {"ip link set eth0 vf 0 mac", 255, "Command line is not complete. Try option \"help\"\n"},
      {"ip link set eth0 vf 0 max_tx_rate 10 min_tx_rate 20", 1,
       "Invalid min_tx_rate 20 - must be <= max_tx_rate 10\n"},
      {"ip link set eth0 vf 9 max_tx_rate 10", 1, "Cannot find VF 9\n"},
      {"ip link set vf 0 trust on dev eth0", 255, "Error: argument \"dev\" is required\n"},
      {"ip link set eth9 vf 0 trust on", 1, "Cannot find device \"eth9\"\n"},
      {"ip link set eth0 promisc maybe", 1,
       "Error: argument of \"promisc\" must be \"on\" or \"off\", not \"maybe\"\n"},
      {"ip link set eth0 allmulticast 1", 1,
       "Error: argument of \"allmulticast\" must be \"on\" or \"off\", not \"1\"\n"},
      {"ip link set", 255, "Not enough information: \"dev\" argument is required.\n"},
      // The kernel's answers: the driver refuses a VF past NumVFs, rtnetlink an index
      // past INT_MAX before any driver, and nothing handles IFLA_VF_RSS_QUERY_EN here.
      {"ip link set eth0 vf 9 trust on", 2, "RTNETLINK answers: Invalid argument\n"},
      {"ip link set eth0 vf -1 trust on", 2, "RTNETLINK answers: Invalid argument\n"},
      {"ip link set eth0 vf 0 query_rss on", 2, "RTNETLINK answers: Operation not supported\n"},
      {"ip link set eth0 vf 1 rate 100 min_tx_rate 200", 1, "Invalid min_tx_rate 200 - must be <= max_tx_rate 100\n"},
  };
  with_pf([&](host_system& h, netdev&) {
    for (const bad& b : corpus) {
      const cmd_result r = run(h, b.line);
      EXPECT_EQ(r.status, b.status) << b.line;
      EXPECT_EQ(r.err, b.err) << b.line;
      EXPECT_EQ(r.out, "") << b.line;
    }
    // Only the VF past NumVFs reached the driver; the rest stopped before it.
    EXPECT_EQ(ops.take(), calls{"trust 9 1"});
  });
}

TEST_F(iproute2_vf, a_driver_without_the_hooks_answers_not_supported) {
  plain_ops plain;
  pci_dev other;
  other.bus = 4;
  with_pf([&](host_system& h, netdev&) {
    h.net().register_netdev(other, "plain", 0x02000000bb01ull, plain);
    for (const char* line : {"ip link set eth1 vf 0 mac 02:00:00:00:00:01", "ip link set eth1 vf 0 vlan 4",
                             "ip link set eth1 vf 0 spoofchk on", "ip link set eth1 vf 0 trust on",
                             "ip link set eth1 vf 0 state auto", "ip link set eth1 vf 0 max_tx_rate 1 min_tx_rate 0"}) {
      const cmd_result r = run(h, line);
      EXPECT_EQ(r.status, 2) << line;
      EXPECT_EQ(r.err, "RTNETLINK answers: Operation not supported\n") << line;
      EXPECT_EQ(r.errno_name, "EOPNOTSUPP") << line;
    }
    h.net().unregister_netdev(other);
  });
}

TEST_F(iproute2_vf, promisc_and_allmulti_flags_log_and_rx_mode) {
  with_pf([&](host_system& h, netdev& nd) {
    // Down: the flag and the log line, but no rx mode to program yet.
    EXPECT_EQ(out(h, "ip link set eth0 promisc on"), "");
    EXPECT_EQ(dmesg(h, "promiscuous"), calls{"device eth0 entered promiscuous mode"});
    EXPECT_EQ(ops.take(), calls{});
    EXPECT_EQ(out(h, "ip link show eth0").substr(0, 30), "2: eth0: <BROADCAST,MULTICAST,");
    EXPECT_NE(out(h, "ip link show eth0").find("<BROADCAST,MULTICAST,PROMISC> mtu"), std::string::npos);
    // Up: ndo_open, the rx mode after it, then the IPv4 all-hosts group joins.
    EXPECT_EQ(out(h, "ip link set eth0 up"), "");
    EXPECT_EQ(ops.take(),
              (calls{"open", "rx_mode promisc=1 allmulti=0 uc=0 mc=0", "rx_mode promisc=1 allmulti=0 uc=0 mc=1"}));
    // Asking again changes nothing but reloads the rx mode (__dev_change_flags).
    EXPECT_EQ(out(h, "ip link set eth0 promisc on"), "");
    EXPECT_EQ(nd.promiscuity, 1u);
    EXPECT_EQ(ops.take(), calls{"rx_mode promisc=1 allmulti=0 uc=0 mc=1"});
    EXPECT_EQ(out(h, "ip link set eth0 allmulticast on promisc off"), "");
    EXPECT_EQ(ops.take(), (calls{"rx_mode promisc=1 allmulti=0 uc=0 mc=1", "rx_mode promisc=0 allmulti=0 uc=0 mc=1",
                                 "rx_mode promisc=0 allmulti=1 uc=0 mc=1"}));
    EXPECT_EQ(dmesg(h, "promiscuous"),
              (calls{"device eth0 entered promiscuous mode", "device eth0 left promiscuous mode"}));
    EXPECT_EQ(out(h, "ip link show eth0"),
              "2: eth0: <BROADCAST,MULTICAST,ALLMULTI,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT group "
              "default qlen 1000\n    link/ether 02:00:00:00:aa:01 brd ff:ff:ff:ff:ff:ff\n"
              "    vf 0     link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff, spoof checking on, link-state auto, "
              "trust off\n    vf 1     link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff, spoof checking on, "
              "link-state auto, trust off\n    vf 2     link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff, spoof "
              "checking on, link-state auto, trust off\n    vf 3     link/ether 00:00:00:00:00:00 brd "
              "ff:ff:ff:ff:ff:ff, spoof checking on, link-state auto, trust off\n");
    // The kernel's own users count apart from the administrator and are not shown.
    EXPECT_EQ(h.net().set_promiscuity(nd, true), 0);
    EXPECT_EQ(out(h, "ip link set eth0 promisc on"), "");
    EXPECT_EQ(nd.promiscuity, 2u);
    EXPECT_EQ(out(h, "ip link set eth0 promisc off"), "");
    EXPECT_EQ(out(h, "ip link show eth0").find("PROMISC"), std::string::npos);
    EXPECT_EQ(nd.flags & IFF_PROMISC, IFF_PROMISC);
    EXPECT_EQ(h.net().set_promiscuity(nd, false), 0);
    EXPECT_EQ(dmesg(h, "promiscuous").size(), 4u);
    EXPECT_EQ(dmesg(h, "promiscuous").back(), "device eth0 left promiscuous mode");
    // Down: the all-hosts group leaves (ip_mc_down); the rx mode is not programmed.
    ops.take();
    EXPECT_EQ(out(h, "ip link set eth0 down"), "");
    EXPECT_EQ(ops.take(), (calls{"rx_mode promisc=0 allmulti=1 uc=0 mc=1", "stop"}));
    EXPECT_TRUE(nd.mc.empty());
  });
}

// One RTM_NEWLINK for all: do_setlink() sets the MTU, then dev_change_flags() opens
// the device before it takes the administrator's IFF_PROMISC.
TEST_F(iproute2_vf, mtu_up_and_promisc_in_one_command) {
  with_pf([&](host_system& h, netdev& nd) {
    EXPECT_EQ(out(h, "ip link set eth0 promisc on mtu 1400 up"), "");
    EXPECT_EQ(nd.mtu, 1400u);
    EXPECT_EQ(ops.take(), (calls{"open", "rx_mode promisc=0 allmulti=0 uc=0 mc=0",
                                 "rx_mode promisc=1 allmulti=0 uc=0 mc=0", "rx_mode promisc=1 allmulti=0 uc=0 mc=1"}));
    EXPECT_EQ(out(h, "ip link show eth0").substr(0, 65),
              "2: eth0: <BROADCAST,MULTICAST,PROMISC,UP,LOWER_UP> mtu 1400 qdisc");
    cmd_result r = run(h, "ip link set eth0 mtu 1400 mtu 1500");
    EXPECT_EQ(r.status, 255);
    EXPECT_EQ(r.err, "Error: duplicate \"mtu\": \"1500\" is the second value.\n");
    // A failing MTU stops the request before the flags (do_setlink's errout).
    r = run(h, "ip link set eth0 mtu 9000 promisc off");
    EXPECT_EQ(r.status, 2);
    EXPECT_EQ(r.err, "Error: mtu greater than device maximum.\n");
    EXPECT_EQ(nd.gflags & IFF_PROMISC, IFF_PROMISC);
    EXPECT_EQ(run(h, "ip link set eth0 mtu -5").err, "Error: mtu less than device minimum.\n");
    // A dotted VF address is an IPv4 one (ll_addr_a2n): four bytes, not six.
    EXPECT_EQ(run(h, "ip link set eth0 vf 0 mac 10.1").err, "Invalid address length 4 - must be 6 bytes\n");
  });
}

TEST_F(iproute2_vf, bridge_fdb_through_the_default_fdb) {
  with_pf([&](host_system& h, netdev& nd) {
    EXPECT_EQ(out(h, "bridge fdb show"), "");
    out(h, "ip link set eth0 up");
    EXPECT_EQ(out(h, "bridge fdb show"), "01:00:5e:00:00:01 dev eth0 self permanent\n");
    ops.take();
    EXPECT_EQ(out(h, "bridge fdb add 02:00:00:00:00:09 dev eth0"), "");
    EXPECT_EQ(ops.take(), (calls{"fdb_add 02:00:00:00:00:09 0 0xc0 true", "rx_mode promisc=0 allmulti=0 uc=1 mc=1"}));
    EXPECT_EQ(out(h, "bridge fdb add 33:33:00:00:00:01 dev eth0 self permanent"), "");
    EXPECT_EQ(out(h, "bridge fdb append 01:80:c2:00:00:0e dev eth0"), "");  // link-local: the unicast list
    EXPECT_EQ(out(h, "bridge fdb show"),
              "02:00:00:00:00:09 dev eth0 self permanent\n01:80:c2:00:00:0e dev eth0 self permanent\n"
              "01:00:5e:00:00:01 dev eth0 self permanent\n33:33:00:00:00:01 dev eth0 self permanent\n");
    EXPECT_EQ(out(h, "bridge fdb show dev eth0"),
              "02:00:00:00:00:09 self permanent\n01:80:c2:00:00:0e self permanent\n"
              "01:00:5e:00:00:01 self permanent\n33:33:00:00:00:01 self permanent\n");
    EXPECT_EQ(out(h, "bridge fdb show br eth0"), "");  // no bridge has eth0 as a port
    // A duplicate: an error with `add` (NLM_F_EXCL), not with `append`.
    cmd_result r = run(h, "bridge fdb add 02:00:00:00:00:09 dev eth0");
    EXPECT_EQ(r.status, 255);
    EXPECT_EQ(r.err, "RTNETLINK answers: File exists\n");
    EXPECT_EQ(r.errno_name, "EEXIST");
    EXPECT_EQ(out(h, "bridge fdb append 02:00:00:00:00:09 dev eth0"), "");
    EXPECT_EQ(run(h, "bridge fdb add 01:00:5e:00:00:01 dev eth0").err, "RTNETLINK answers: File exists\n");
    EXPECT_EQ(nd.uc.size(), 2u);
    EXPECT_EQ(out(h, "bridge fdb del 02:00:00:00:00:09 dev eth0"), "");
    EXPECT_EQ(run(h, "bridge fdb del 02:00:00:00:00:09 dev eth0").err,
              "RTNETLINK answers: No such file or directory\n");
    EXPECT_EQ(out(h, "bridge fdb show dev eth0"),
              "01:80:c2:00:00:0e self permanent\n01:00:5e:00:00:01 self permanent\n33:33:00:00:00:01 self permanent\n");
    // What the default FDB refuses, with its kernel log lines.
    r = run(h, "bridge fdb add 02:00:00:00:00:0a dev eth0 static");
    EXPECT_EQ(r.err, "RTNETLINK answers: Invalid argument\n");
    EXPECT_EQ(run(h, "bridge fdb add 02:00:00:00:00:0a dev eth0 vlan 5").err, "RTNETLINK answers: Invalid argument\n");
    EXPECT_EQ(dmesg(h, "fake 0000:03:00.0 eth0"),
              (calls{"fake 0000:03:00.0 eth0: default FDB implementation only supports local addresses",
                     "fake 0000:03:00.0 eth0: vlans aren't supported yet for dev_uc|mc_add()"}));
    const struct {
      const char* line;
      const char* err;
    } corpus[] = {
        {"bridge fdb add 02:00:00:00:00:0a dev eth0 vlan 0", "Error: invalid vlan id.\n"},
        {"bridge fdb add 02:00:00:00:00:0a dev eth0 master", "RTNETLINK answers: Operation not supported\n"},
        {"bridge fdb del 02:00:00:00:00:0a dev eth0 dynamic", "RTNETLINK answers: Invalid argument\n"},
        {"bridge fdb add 02:00:00:00:00:0a dev lo", "Error: FDB add only supported for Ethernet devices.\n"},
        {"bridge fdb add zz:00:00:00:00:0a dev eth0", "Invalid mac address zz:00:00:00:00:0a\n"},
        {"bridge fdb add 02:00:00:00:00:0a", "Device and address are required arguments.\n"},
        {"bridge fdb add 02:00:00:00:00:0a dev eth9", "Cannot find device \"eth9\"\n"},
        {"bridge fdb show br br0", "Cannot find bridge device \"br0\"\n"},
        {"bridge fdb frob", "Command \"frob\" is unknown, try \"bridge fdb help\".\n"},
        {"bridge fbd", "Object \"fbd\" is unknown, try \"bridge help\".\n"},
    };
    for (const auto& c : corpus) {
      const cmd_result e = run(h, c.line);
      EXPECT_EQ(e.status, 255) << c.line;
      EXPECT_EQ(e.err, c.err) << c.line;
    }
    // Down: IPv4's group leaves, the administrator's entries stay.
    out(h, "ip link set eth0 down");
    EXPECT_EQ(out(h, "bridge fdb show"),
              "01:80:c2:00:00:0e dev eth0 self permanent\n33:33:00:00:00:01 dev eth0 self permanent\n");
  });
}

TEST_F(iproute2_vf, a_driver_fdb_hook_that_fails) {
  ops.fdb_rc = -ENOMEM;
  with_pf([&](host_system& h, netdev& nd) {
    cmd_result r = run(h, "bridge fdb add 02:00:00:00:00:09 dev eth0 self");
    EXPECT_EQ(r.status, 255);
    EXPECT_EQ(r.err, "RTNETLINK answers: Cannot allocate memory\n");
    EXPECT_EQ(r.errno_name, "ENOMEM");
    r = run(h, "bridge fdb del 02:00:00:00:00:09 dev eth0 self master");
    EXPECT_EQ(r.err, "RTNETLINK answers: Cannot allocate memory\n");
    EXPECT_EQ(ops.take(), (calls{"fdb_add 02:00:00:00:00:09 0 0xc0 true", "fdb_del 02:00:00:00:00:09 0"}));
    EXPECT_TRUE(nd.uc.empty());
    ops.fdb_rc = 0;  // the driver keeps it in its own switch: nothing on the core's lists
    EXPECT_EQ(out(h, "bridge fdb replace 02:00:00:00:00:09 dev eth0 vlan 12"), "");
    EXPECT_EQ(ops.take(), calls{"fdb_add 02:00:00:00:00:09 12 0xc0 false"});
    EXPECT_EQ(out(h, "bridge fdb show"), "");
  });
}

// A device that cannot filter extra unicast addresses is made promiscuous by the core
// while it has some (__dev_set_rx_mode), without the administrator's PROMISC flag.
TEST_F(iproute2_vf, no_unicast_filter_means_promiscuous_for_secondary_addresses) {
  with_pf([&](host_system& h, netdev& nd) {
    nd.unicast_flt = false;
    out(h, "ip link set eth0 up");
    EXPECT_EQ(out(h, "bridge fdb add 02:00:00:00:00:09 dev eth0"), "");
    EXPECT_EQ(dmesg(h, "promiscuous"), calls{"device eth0 entered promiscuous mode"});
    EXPECT_EQ(nd.flags & IFF_PROMISC, IFF_PROMISC);
    EXPECT_EQ(out(h, "ip link show eth0").find("PROMISC"), std::string::npos);
    EXPECT_EQ(out(h, "bridge fdb del 02:00:00:00:00:09 dev eth0"), "");
    EXPECT_EQ(dmesg(h, "promiscuous").back(), "device eth0 left promiscuous mode");
    EXPECT_EQ(nd.promiscuity, 0u);
  });
}

}  // namespace
}  // namespace iovsim::host

namespace iovsim::host {
namespace {

// `ip link set dev X address MAC`: IFLA_ADDRESS through dev_set_mac_address(); the
// default ndo (eth_mac_addr) takes a valid unicast address while the interface is down.
TEST_F(iproute2_vf, address_goes_through_the_drivers_set_mac_address) {
  plain_ops plain;
  pci_dev other;
  other.bus = 4;
  with_pf([&](host_system& h, netdev&) {
    netdev& nd = h.net().register_netdev(other, "plain", 0x02000000bb01ull, plain);
    EXPECT_EQ(run(h, "ip link set dev eth1 address 02:00:00:00:bb:02").status, 0);
    EXPECT_EQ(nd.mac, 0x02000000bb02ull);
    cmd_result r = run(h, "ip link set dev eth1 address 03:00:00:00:bb:02");
    EXPECT_EQ(r.err, "RTNETLINK answers: Cannot assign requested address\n");
    r = run(h, "ip link set dev eth1 address zz");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "\"zz\" is invalid lladdr.\n");
    r = run(h, "ip link set dev eth1 address 02:00:00:00:bb");
    EXPECT_EQ(r.err, "Invalid address length 5 - must be 6 bytes\n");
    EXPECT_EQ(run(h, "ip link set dev eth1 up").status, 0);
    r = run(h, "ip link set dev eth1 address 02:00:00:00:bb:03");
    EXPECT_EQ(r.err, "RTNETLINK answers: Device or resource busy\n");
    EXPECT_EQ(nd.mac, 0x02000000bb02ull);
    h.net().unregister_netdev(other);
  });
}

}  // namespace
}  // namespace iovsim::host
