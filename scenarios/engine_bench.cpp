#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <systemc>

#include "drivers-sim/host.h"
#include "models/kit/processes.h"
#include "models/kit/sim_env.h"
#include "models/nic/nic_device.h"
#include "models/wire/traffic.h"
#include "models/wire/wire.h"
#include "platform/platform.h"
#include "scenarios/bench.h"
#include "scenarios/loader.h"

namespace iovsim::scen {

const std::vector<bench_case_info>& bench_cases() {
  static const std::vector<bench_case_info> cases{
      {"vf_rx_64B_iommu",
       "a generator at 10 Gb/s line rate of 64 B frames to one VF, IOMMU on (its rings and "
       "buffers mapped once), ixgbevf receiving"},
      {"pf_rx_1500B_10G", "a generator at 10 Gb/s line rate of 1500 B frames to the PF, IOMMU on, ixgbe receiving"},
      {"vf_tx_64B_iommu",
       "pktgen on a VF sending 64 B frames as fast as the driver takes them (a DMA mapping per "
       "frame, IOMMU on, lazy) to a sink"},
      {"replication_16way_10G",
       "a generator at 10 Gb/s line rate of 1500 B broadcast frames into a port whose PF and 15 VFs are up: "
       "the switch copies each frame to 16 functions (delivered counts the copies)"},
      {"pmd_vm_64B",
       "a generator at 10 Gb/s line rate of 64 B frames to a VF passed to a guest (2 MiB pages), where pmd "
       "forwards them back out of the same VF to the generator (mac forwarding: a VF may only send as itself; "
       "no-IOMMU VFIO in the guest; delivered: frames back at the generator)"},
      {"vf_to_vf_64B",
       "pktgen on one VF sending 64 B frames to the MAC of another VF of the same port: looped back by the "
       "switch, never on the wire (delivered: frames the second VF took)"},
  };
  return cases;
}

namespace {

// The host's thread for the case: setup (untimed), then the measured part. A case
// that cannot run says why in failure() (thrown by run_bench() once SystemC is done).
class bench_runner : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(bench_runner);
  bench_runner(sc_core::sc_module_name n, std::function<void()> body) : sc_module(n), m_body(std::move(body)) {
    SC_THREAD(run);
    set_stack_size(1 << 20);
  }
  const std::string& failure() const { return m_failure; }

 private:
  void run() {
    try {
      m_body();
    } catch (const std::runtime_error& e) {
      m_failure = e.what();
    }
    kit::end_spawned_processes();
    sc_core::sc_stop();
  }
  std::function<void()> m_body;
  std::string m_failure;
};

net::mac_addr to_mac(uint64_t v) {
  net::mac_addr m;
  for (int b = 0; b < 6; ++b) m.bytes[b] = static_cast<uint8_t>(v >> (40 - 8 * b));
  return m;
}

}  // namespace

bench_result run_bench(const std::string& name, uint64_t packets) {
  bool known = false;
  for (const auto& c : bench_cases()) known |= c.name == name;
  if (!known) throw std::invalid_argument(fmt::format("no bench case \"{}\"", name));
  // What each case sets up: VFs enabled and up, who sends, where to.
  const bool replication = name == "replication_16way_10G";
  const bool vf_to_vf = name == "vf_to_vf_64B";
  const bool pmd_vm = name == "pmd_vm_64B";
  const unsigned vfs = replication ? 15 : vf_to_vf ? 2 : name.rfind("vf_", 0) == 0 || pmd_vm ? 1 : 0;
  const bool tx = name.find("_tx_") != std::string::npos || vf_to_vf;
  const uint32_t size = name.find("1500B") != std::string::npos || replication ? 1500 : 64;  // with FCS
  if (!packets) packets = size == 64 ? 2000000 : 500000;

  kit::fresh_systemc_context();
  kit::sim_env env(1);
  env.set_trace_categories({"none"});  // nothing traced: the bench measures the models
  const kit::trace_limits limits;
  const kit::series_params series_params;  // a run samples its time series: so does the bench
  pb::Platform spec;
  spec.set_kernel_cmdline("intel_iommu=on");
  pb::RootPort* rp = spec.add_root_port();
  rp->set_name("rp1");
  rp->set_device(1);
  pb::Endpoint* ep = spec.add_endpoint();
  ep->set_name("nic");
  ep->set_profile("x540");
  ep->set_attach("rp1");
  bench_result result;
  result.name = name;
  std::string failure;
  {
    platform::machine m(spec, builtin_profiles());
    auto* nic = dynamic_cast<nic::nic_device*>(m.endpoints().front());
    wire::wire cable("cable", 10000);
    nic->core(0).connect(cable, 0);
    wire::traffic_port gen("gen", cable, 1, 512);
    host::host_system h(m, 1);
    // The bench measures wall time around the run; nothing in the simulation reads it.
    std::chrono::steady_clock::time_point wall_start, wall_end;  // allow-nondeterminism: bench wall time, reported only
    sc_core::sc_time sim_start, sim_end;
    bench_runner runner("bench", [&] {
      h.boot();
      h.run("ip link set enp1s0f0 up");
      std::string dev = "enp1s0f0";
      if (vfs) {
        h.run(fmt::format("echo {} > /sys/bus/pci/devices/0000:01:00.0/sriov_numvfs", vfs));
        for (unsigned v = 0; v < vfs; ++v) h.run(fmt::format("ip link set enp1s0f0v{} up", v));
        if (!replication) dev = "enp1s0f0v0";
      }
      if (pmd_vm) {
        // The VF to a guest (libvirt's managed detach), and in the guest to vfio-pci.
        for (const char* line :
             {"ip link set dev enp1s0f0 vf 0 mac 02:00:00:00:10:00", "vm create vm1 --mem 256M --hugepages 2M",
              "vm assign vm1 01:10.0", "vm start vm1", "vm console vm1 modprobe vfio-pci",
              "vm console vm1 'echo 1 > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode'",
              "vm console vm1 'echo vfio-pci > /sys/bus/pci/devices/0000:00:04.0/driver_override'",
              "vm console vm1 'echo 0000:00:04.0 > /sys/bus/pci/devices/0000:00:04.0/driver/unbind'",
              "vm console vm1 'echo 0000:00:04.0 > /sys/bus/pci/drivers/vfio-pci/bind'",
              "vm console vm1 pmd start --dev 0000:00:04.0 --fwd mac --eth-peer 0,02:00:00:00:00:ff --hugepages 2M"}) {
          const host::cmd_result r = h.run(line);
          if (r.status) throw std::runtime_error(fmt::format("bench: `{}` failed: {}{}", line, r.out, r.err));
        }
        dev = "enp1s0f0";
      }
      h.run("run 2100ms");  // link training
      host::netdev* nd = h.net().find(dev);
      if (!nd || !nd->carrier) throw std::runtime_error("bench: the interface did not come up");
      // The functions that receive: the PF and the VFs (replication), the second VF
      // (VF to VF), else the one interface.
      std::vector<host::netdev*> receivers{nd};
      if (replication)
        for (unsigned v = 0; v < vfs; ++v) receivers.push_back(h.net().find(fmt::format("enp1s0f0v{}", v)));
      if (vf_to_vf) receivers = {h.net().find("enp1s0f0v1")};
      for (host::netdev* r : receivers)
        if (!r || !r->carrier) throw std::runtime_error("bench: a receiving interface did not come up");
      wall_start = std::chrono::steady_clock::now();  // allow-nondeterminism: bench wall time, reported only
      sim_start = sc_core::sc_time_stamp();
      if (tx) {
        host::pktgen_config cfg;
        // The sink takes every frame; VF to VF, the other VF's address.
        cfg.dst_mac = vf_to_vf ? receivers[0]->mac : 0x0200000000ff;
        cfg.pkt_size = size - 4;
        cfg.count = packets;
        h.packet_generator().run(*nd, cfg);
        sc_core::wait(sc_core::sc_time(1, sc_core::SC_MS));  // the last frames leave
      } else {
        wire::traffic_spec s;
        s.sizes = {size};
        s.dst = {replication ? net::mac_addr::broadcast() : pmd_vm ? to_mac(0x020000001000) : to_mac(nd->mac)};
        s.src = to_mac(0x0200000000ff);
        s.count = packets;
        gen.start(s);
        while (gen.running()) sc_core::wait(sc_core::sc_time(100, sc_core::SC_US));
        sc_core::wait(sc_core::sc_time(1, sc_core::SC_MS));  // the last frames are polled
      }
      sim_end = sc_core::sc_time_stamp();
      wall_end = std::chrono::steady_clock::now();  // allow-nondeterminism: bench wall time, reported only
      nic::nic_core& core = nic->core(0);
      if (vf_to_vf) {
        // Frames the first VF's driver handed the NIC; a frame that reached the wire
        // was not looped back.
        result.sim_packets = nd->stats.tx_packets;
        result.delivered = receivers[0]->stats.rx_packets;
        result.dropped = result.sim_packets - std::min(result.sim_packets, result.delivered);
        // Where the others went: the wire (not looped back), or dropped by the NIC on
        // the way into the second VF (its ring full: no_rx_descriptor).
        result.drops = fmt::format("on_wire={}", gen.port_counts().rx_frames);
        for (unsigned r = 1; r < static_cast<unsigned>(nic::rx_drop::count); ++r) {
          const auto reason = static_cast<nic::rx_drop>(r);
          result.drops += fmt::format(" {}={}", nic::rx_drop_name(reason), core.rx_dropped(reason));
        }
        if (result.delivered == 0)
          throw std::runtime_error("bench: no frame reached the second VF (no VF-to-VF loopback in the switch?)");
      } else if (tx || pmd_vm) {
        result.sim_packets = pmd_vm ? core.rx_offered() : core.tx_frames();
        result.delivered = gen.port_counts().rx_frames;
        if (pmd_vm) {
          result.dropped = result.sim_packets - std::min(result.sim_packets, result.delivered);
          for (unsigned r = 1; r < static_cast<unsigned>(nic::rx_drop::count); ++r) {
            const auto reason = static_cast<nic::rx_drop>(r);
            result.drops += fmt::format("{}{}={}", result.drops.empty() ? "" : " ", nic::rx_drop_name(reason),
                                        core.rx_dropped(reason));
          }
          if (result.delivered == 0)
            throw std::runtime_error("bench: pmd in the guest forwarded nothing: " + h.run("vm console vm1 pmd stats").out);
        }
      } else {
        result.sim_packets = core.rx_offered();
        for (host::netdev* r : receivers) result.delivered += r->stats.rx_packets;
        for (unsigned r = 1; r < static_cast<unsigned>(nic::rx_drop::count); ++r) {
          const auto reason = static_cast<nic::rx_drop>(r);
          result.dropped += core.rx_dropped(reason);
          result.drops += fmt::format("{}{}={}", result.drops.empty() ? "" : " ", nic::rx_drop_name(reason),
                                      core.rx_dropped(reason));
        }
      }
    });
    kit::series_sampler series(series_params);
    sc_core::sc_start();
    failure = runner.failure();
    result.wall_s = std::chrono::duration<double>(wall_end - wall_start).count();
    result.sim_s = (sim_end - sim_start).to_seconds();
  }
  kit::release_systemc_context();
  if (!failure.empty()) throw std::runtime_error(failure);
  return result;
}

}  // namespace iovsim::scen
