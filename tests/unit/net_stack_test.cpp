// The host's IPv4 stack and its tools (ip addr/route/neigh, ip -s link, ping,
// ethtool) on two hosts joined by a test cable: a netdev_ops whose start_xmit hands
// the bytes to the other host's net_core::receive after a fixed delay, as a driver's
// NAPI poll would. Expected outputs are iproute2 6.1's, iputils 20221126's and
// ethtool 6.1's; RTTs follow from the costs: each send is tx_cost, each receive
// rx_cost, each hop the cable's delay.
#include <gtest/gtest.h>

#include <memory>
#include <systemc>

#include "drivers-sim/net/stack.h"
#include "drivers-sim/userland/tools.h"
#include "models/net/headers.h"
#include "tests/unit/sc_fixture.h"
#include "tests/unit/shell_fake_vfs.h"

namespace iovsim::host {
namespace {

using sc_core::sc_time;
using sc_core::SC_US;

// The other end of the cable is another host's net_core and netdev.
struct cable_ops : netdev_ops {
  net_core* peer_net = nullptr;
  netdev* peer = nullptr;
  sc_time delay{1, SC_US};
  std::vector<std::vector<uint8_t>> sent;  // every frame, for the decoder checks
  int open(netdev&) override { return 0; }
  int stop(netdev&) override { return 0; }
  int start_xmit(netdev& nd, const uint8_t* frame, uint32_t len) override {
    sent.emplace_back(frame, frame + len);
    ++nd.stats.tx_packets;
    nd.stats.tx_bytes += len;
    auto bytes = std::make_shared<std::vector<uint8_t>>(frame, frame + len);
    net_core* net = peer_net;
    netdev* p = peer;
    const sc_time d = delay;
    sc_core::sc_spawn([net, p, bytes, d] {
      sc_core::wait(d);
      ++p->stats.rx_packets;
      p->stats.rx_bytes += bytes->size();
      sc_time debt;
      net->receive(*p, bytes->data(), static_cast<uint32_t>(bytes->size()), debt);
      settle(debt);
    });
    return 0;
  }
  std::vector<std::pair<std::string, uint64_t>> ethtool_stats(netdev& nd) override {
    return {{"rx_packets", nd.stats.rx_packets}, {"tx_packets", nd.stats.tx_packets}};
  }
};

// One host: a net_core with one cable netdev, the stack, and a shell whose system
// calls go to them (what host_system does for a whole machine).
struct test_host : syscalls {
  kernel_log log;
  net_core net;
  pci_dev dev;
  cable_ops ops;
  netdev* nd = nullptr;
  std::unique_ptr<ipv4_stack> stack;
  fake_vfs fs;
  shell sh{fs};

  test_host(uint64_t seed, unsigned bus, uint64_t mac) : net(log, seed) {
    dev.bus = bus;
    nd = &net.register_netdev(dev, "cable", mac, ops);
    stack = std::make_unique<ipv4_stack>(net, log, seed);
    net.set_packet_handler(stack.get());
    register_iproute2(sh, *this);
    register_iputils(sh, *this);
    register_ethtool(sh, *this);
  }
  outcome run(const std::string& line) {
    const cmd_result r = sh.run(line);
    return outcome{r.out, r.err, r.status, r.errno_name};
  }

  vfs& files() override { return fs; }
  std::vector<std::string> syslog() override { return log.lines(); }
  int init_module(const std::string&, const std::string&) override { return -ENOSYS; }
  int delete_module(const std::string&) override { return -ENOSYS; }
  std::string module_for_alias(const std::string&) override { return ""; }
  std::string release() override { return "6.1.0-iovsim"; }
  std::vector<link_info> rtnl_getlink() override { return net.getlink(); }
  int rtnl_setlink_up(int ifindex, bool up) override {
    netdev* n = net.find(ifindex);
    if (!n) return -ENODEV;
    const int rc = net.set_up(*n, up);
    net.set_carrier(*n, up);
    return rc;
  }
  int rtnl_setlink_name(int ifindex, const std::string& name) override { return net.rename(ifindex, name); }
  int rtnl_newaddr(int ifindex, uint32_t local, unsigned len, uint32_t brd) override {
    return stack->add_address(ifindex, local, len, brd);
  }
  int rtnl_deladdr(int ifindex, uint32_t local, unsigned len) override {
    return stack->del_address(ifindex, local, len);
  }
  std::vector<ifaddr_info> rtnl_getaddr() override { return stack->addresses(); }
  std::vector<route_info> rtnl_getroute() override { return stack->routes(); }
  std::vector<neigh_info> rtnl_getneigh() override { return stack->neighbours(); }
  int ethtool_drvinfo(const std::string& ifname, drvinfo& info) override {
    netdev* n = net.find(ifname);
    if (!n) return -ENODEV;
    info = n->ops->get_drvinfo(*n);
    return 0;
  }
  int ethtool_stats(const std::string& ifname, std::vector<std::pair<std::string, uint64_t>>& stats) override {
    netdev* n = net.find(ifname);
    if (!n) return -ENODEV;
    stats = n->ops->ethtool_stats(*n);
    return 0;
  }
  int ping_socket(const std::string& ifname) override { return stack->ping_open(ifname); }
  int ping_send(int fd, uint32_t dst, uint16_t seq, const std::vector<uint8_t>& data) override {
    return stack->ping_send(fd, dst, seq, data);
  }
  int ping_recv(int fd, ping_message& msg, uint64_t timeout_ns) override {
    return stack->ping_recv(fd, msg, sc_time(static_cast<double>(timeout_ns), sc_core::SC_NS));
  }
  void close_socket(int fd) override { stack->close(fd); }
  uint64_t clock_ns() override { return sc_core::sc_time_stamp().value() / sc_time(1, sc_core::SC_NS).value(); }
  int devmem(uint64_t, void*, unsigned, bool) override { return -EFAULT; }
};

class net_stack_test : public test::sc_fixture {
 protected:
  // Two hosts, eth0 each, 10.0.0.1/24 and 10.0.0.2/24, cabled and up.
  void make_pair() {
    a = std::make_unique<test_host>(1, 3, 0x001b21000001);
    b = std::make_unique<test_host>(2, 4, 0x001b21000002);
    a->ops.peer_net = &b->net;
    a->ops.peer = b->nd;
    b->ops.peer_net = &a->net;
    b->ops.peer = a->nd;
    for (test_host* h : {a.get(), b.get()}) ASSERT_EQ(h->run("ip link set eth0 up").status, 0);
    ASSERT_EQ(a->run("ip addr add 10.0.0.1/24 dev eth0"), (outcome{}));
    ASSERT_EQ(b->run("ip addr add 10.0.0.2/24 dev eth0"), (outcome{}));
  }
  std::unique_ptr<test_host> a, b;
};

const char* const PING_3 =
    "PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.\n"
    "64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.010 ms\n"
    "64 bytes from 10.0.0.2: icmp_seq=2 ttl=64 time=0.006 ms\n"
    "64 bytes from 10.0.0.2: icmp_seq=3 ttl=64 time=0.006 ms\n"
    "\n--- 10.0.0.2 ping statistics ---\n"
    "3 packets transmitted, 3 received, 0% packet loss, time 2000ms\n"
    "rtt min/avg/max/mdev = 0.006/0.007/0.010/0.002 ms\n";

TEST_F(net_stack_test, ArpThenEchoWithExactRtts) {
  run_thread([&] {
    make_pair();
    // The first RTT carries the ARP exchange: request and reply (1 us cable + 1 us
    // receive each way), then the echo: 1 us send + 4 x (1 us cable + 1 us stack)...
    // = 10 us; later ones 6 us (send, cable, receive + reply, cable, receive).
    EXPECT_EQ(a->run("ping -c 3 10.0.0.2"), (outcome{PING_3, "", 0, ""}));
    EXPECT_EQ(a->run("ip neigh").out, "10.0.0.2 dev eth0 lladdr 00:1b:21:00:00:02 REACHABLE \n");
    // b learnt a from its ARP request (STALE), then revalidates it while replying.
    EXPECT_EQ(b->run("ip neigh").out, "10.0.0.1 dev eth0 lladdr 00:1b:21:00:00:01 DELAY \n");
    EXPECT_EQ(b->stack->snmp().icmp_in_echos, 3u);
    EXPECT_EQ(b->stack->snmp().icmp_out_echo_reps, 3u);
    EXPECT_EQ(a->stack->snmp().arp_requests_out, 1u);
    EXPECT_EQ(b->stack->snmp().arp_replies_out, 1u);
    sc_core::wait(sc_time(10, sc_core::SC_SEC));  // DELAY -> PROBE: a unicast request, answered
    EXPECT_EQ(b->run("ip neigh").out, "10.0.0.1 dev eth0 lladdr 00:1b:21:00:00:01 REACHABLE \n");
    EXPECT_EQ(a->run("ping -q -c 2 -i 0.5 10.0.0.2").out,
              "PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.\n\n--- 10.0.0.2 ping statistics ---\n"
              "2 packets transmitted, 2 received, 0% packet loss, time 500ms\n"
              "rtt min/avg/max/mdev = 0.006/0.006/0.006/0.000 ms\n");
  });
}

TEST_F(net_stack_test, FramesDecodeWithTheRepositoryParsers) {
  run_thread([&] {
    make_pair();
    ASSERT_EQ(a->run("ping -c 1 -s 100 10.0.0.2").status, 0);
    ASSERT_EQ(a->ops.sent.size(), 2u);  // ARP request, echo request
    const net::parsed_frame arp = net::parse(a->ops.sent[0].data(), static_cast<uint32_t>(a->ops.sent[0].size()));
    ASSERT_TRUE(arp.has_arp && arp.ok());
    EXPECT_TRUE(arp.dst.is_broadcast());
    EXPECT_EQ(arp.arp.op, net::ARP_OP_REQUEST);
    EXPECT_EQ(arp.arp.target_ip.str(), "10.0.0.2");
    EXPECT_EQ(arp.arp.sender_ip.str(), "10.0.0.1");
    const net::parsed_frame echo = net::parse(a->ops.sent[1].data(), static_cast<uint32_t>(a->ops.sent[1].size()));
    ASSERT_TRUE(echo.has_icmp && echo.ok());
    EXPECT_EQ(echo.dst.str(), "00:1b:21:00:00:02");
    EXPECT_EQ(echo.ip.ttl, 64);
    EXPECT_TRUE(echo.ip.dont_fragment);  // ping sockets: IP_PMTUDISC_WANT
    EXPECT_EQ(echo.ip.total_length, 20 + 8 + 100);
    EXPECT_EQ(echo.icmp.type, net::ICMP_ECHO_REQUEST);
    EXPECT_EQ(echo.icmp.seq, 1);
    const net::parsed_frame reply = net::parse(b->ops.sent[1].data(), static_cast<uint32_t>(b->ops.sent[1].size()));
    ASSERT_TRUE(reply.has_icmp && reply.ok());
    EXPECT_FALSE(reply.ip.dont_fragment);  // the kernel's ICMP socket: IP_PMTUDISC_DONT
    EXPECT_EQ(reply.icmp.type, net::ICMP_ECHO_REPLY);
    EXPECT_EQ(reply.icmp.id, echo.icmp.id);
  });
}

TEST_F(net_stack_test, ArpFailureIsDestinationHostUnreachable) {
  run_thread([&] {
    make_pair();
    const sc_time start = sc_core::sc_time_stamp();
    EXPECT_EQ(a->run("ping -c 1 10.0.0.3"),
              (outcome{"PING 10.0.0.3 (10.0.0.3) 56(84) bytes of data.\n"
                       "From 10.0.0.1 icmp_seq=1 Destination Host Unreachable\n"
                       "\n--- 10.0.0.3 ping statistics ---\n"
                       "1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms\n\n",
                       "", 1, ""}));
    // Three broadcast requests a second apart, FAILED a second after the last.
    EXPECT_EQ(sc_core::sc_time_stamp() - start, sc_time(3, sc_core::SC_SEC) + sc_time(1, SC_US));
    EXPECT_EQ(a->stack->snmp().arp_requests_out, 3u);
    EXPECT_EQ(a->run("ip neigh").out, "10.0.0.3 dev eth0 FAILED \n");
    // Five probes: three wait on the first resolution, two on the second.
    const outcome five = a->run("ping -c 5 10.0.0.3");
    EXPECT_EQ(five.status, 1);
    EXPECT_NE(five.out.find("From 10.0.0.1 icmp_seq=5 Destination Host Unreachable\n"), std::string::npos);
    EXPECT_NE(five.out.find("5 packets transmitted, 0 received, +5 errors, 100% packet loss, time 4000ms\npipe "),
              std::string::npos);
  });
}

TEST_F(net_stack_test, RxCostParameterChangesTheRtt) {
  env->params().set_override("host.net.rx_cost", "3us");
  run_thread([&] {
    make_pair();
    a->run("ping -c 1 10.0.0.2");
    // send 1 + cable 1 + receive 3 + reply 1 + cable 1 + receive 3 = 10 us.
    const outcome o = a->run("ping -c 1 10.0.0.2");
    EXPECT_NE(o.out.find("icmp_seq=1 ttl=64 time=0.010 ms\n"), std::string::npos) << o.out;
  });
}

TEST_F(net_stack_test, IpAddrRouteAndStatsOutputs) {
  run_thread([&] {
    make_pair();
    EXPECT_EQ(a->run("ip addr add 10.1.0.1/16 brd + dev eth0"), (outcome{}));
    EXPECT_EQ(a->run("ip a"),
              (outcome{"1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n"
                       "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
                       "    inet 127.0.0.1/8 scope host lo\n"
                       "       valid_lft forever preferred_lft forever\n"
                       "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000\n"
                       "    link/ether 00:1b:21:00:00:01 brd ff:ff:ff:ff:ff:ff\n"
                       "    inet 10.0.0.1/24 scope global eth0\n"
                       "       valid_lft forever preferred_lft forever\n"
                       "    inet 10.1.0.1/16 brd 10.1.255.255 scope global eth0\n"
                       "       valid_lft forever preferred_lft forever\n",
                       "", 0, ""}));
    EXPECT_EQ(a->run("ip route").out,
              "10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.1 \n"
              "10.1.0.0/16 dev eth0 proto kernel scope link src 10.1.0.1 \n");
    EXPECT_EQ(a->run("ip addr del 10.1.0.1/16 dev eth0"), (outcome{}));
    EXPECT_EQ(a->run("ip addr del 10.1.0.1/16 dev eth0"),
              (outcome{"", "RTNETLINK answers: Cannot assign requested address\n", 2, "EADDRNOTAVAIL"}));
    EXPECT_EQ(a->run("ip addr add 10.0.0.1/24 dev eth0"),
              (outcome{"", "RTNETLINK answers: File exists\n", 2, "EEXIST"}));
    EXPECT_EQ(a->run("ip addr add 10.0.0.9/33 dev eth0"),
              (outcome{"", "Error: any valid prefix is expected rather than \"10.0.0.9/33\".\n", 1, ""}));
    EXPECT_EQ(a->run("ip addr add 10.0.0.9/24 dev eth9"), (outcome{"", "Cannot find device \"eth9\"\n", 1, "ENODEV"}));
    EXPECT_EQ(a->run("ip addr add 10.0.0.9/24"),
              (outcome{"", "Not enough information: \"dev\" argument is required.\n", 1, ""}));
    ASSERT_EQ(a->run("ping -c 1 10.0.0.2").status, 0);
    // ARP request (60) and echo request (98) out; ARP reply (60) and echo reply (98) in.
    EXPECT_EQ(a->run("ip -s link show eth0").out,
              "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT group default "
              "qlen 1000\n"
              "    link/ether 00:1b:21:00:00:01 brd ff:ff:ff:ff:ff:ff\n"
              "    RX:  bytes packets errors dropped  missed   mcast           \n"
              "           158       2      0       0       0       0 \n"
              "    TX:  bytes packets errors dropped carrier collsns           \n"
              "           158       2      0       0       0       0 \n");
    EXPECT_EQ(a->run("ethtool -S eth0").out, "NIC statistics:\n     rx_packets: 2\n     tx_packets: 2\n");
    EXPECT_EQ(a->run("ethtool -i eth0").out,
              "driver: cable\nversion: \nfirmware-version: \nexpansion-rom-version: \nbus-info: 0000:03:00.0\n"
              "supports-statistics: yes\nsupports-test: no\nsupports-eeprom-access: no\n"
              "supports-register-dump: no\nsupports-priv-flags: no\n");
    EXPECT_EQ(a->run("ethtool -i eth7"),
              (outcome{"", "Cannot get driver information: No such device\n", 71, "ENODEV"}));
    // Down, the connected routes go.
    ASSERT_EQ(a->run("ip link set eth0 down").status, 0);
    EXPECT_EQ(a->run("ip route").out, "");
    EXPECT_EQ(a->run("ping -c 1 10.0.0.2"), (outcome{"", "ping: connect: Network is unreachable\n", 2, "ENETUNREACH"}));
  });
}

TEST_F(net_stack_test, FramesNotForUsAreDropped) {
  run_thread([&] {
    make_pair();
    net::frame_pool pool(2);
    auto f = pool.get();
    net::icmp_echo_spec s;
    s.eth.dst = net::mac_addr::from_u64(0x001b210000ff);  // another host's MAC
    s.eth.src = net::mac_addr::from_u64(0x001b21000002);
    s.ip.src.value = 0x0a000002;
    s.ip.dst.value = 0x0a000001;
    net::build_icmp_echo(*f, s);
    {
      sc_core::sc_time debt;
      a->net.receive(*a->nd, f->data(), f->size(), debt);
      settle(debt);
    }
    EXPECT_EQ(a->nd->stats.rx_otherhost_dropped, 1u);
    s.eth.dst = net::mac_addr::from_u64(0x001b21000001);  // our MAC, another IP
    s.ip.dst.value = 0x0a000063;
    net::build_icmp_echo(*f, s);
    {
      sc_core::sc_time debt;
      a->net.receive(*a->nd, f->data(), f->size(), debt);
      settle(debt);
    }
    EXPECT_EQ(a->stack->snmp().ip_in_addr_errors, 1u);
    EXPECT_EQ(a->stack->snmp().icmp_in_echos, 0u);
    EXPECT_TRUE(a->ops.sent.empty());
  });
}

TEST_F(net_stack_test, PingBadInput) {
  run_thread([&] {
    make_pair();
    EXPECT_EQ(a->run("ping"), (outcome{"", "ping: usage error: Destination address required\n", 1, ""}));
    EXPECT_EQ(a->run("ping -c 1 nosuchhost"), (outcome{"", "ping: nosuchhost: Name or service not known\n", 2, ""}));
    EXPECT_EQ(a->run("ping -c abc 10.0.0.2"), (outcome{"", "ping: invalid argument: 'abc'\n", 1, ""}));
    EXPECT_EQ(a->run("ping -c 0 10.0.0.2"),
              (outcome{"", "ping: invalid argument: '0': out of range: 1 <= value <= 9223372036854775807\n", 1, ""}));
    EXPECT_EQ(a->run("ping -c 1 -I eth9 10.0.0.2"),
              (outcome{"", "ping: SO_BINDTODEVICE eth9: No such device\n", 2, "ENODEV"}));
    EXPECT_EQ(a->run("ping -c 1 192.168.9.9"),
              (outcome{"", "ping: connect: Network is unreachable\n", 2, "ENETUNREACH"}));
  });
}

}  // namespace
}  // namespace iovsim::host
