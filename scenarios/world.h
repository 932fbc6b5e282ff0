// The world a scenario describes (DESIGN.md 7a): its machines, each a platform and the
// host software on it, the Ethernet wires between NIC ports and the traffic ports on
// wire ends, all in one SystemC kernel. The first machine's models keep the names a
// one-machine scenario gives them (cpu, dmar0, link.nic, host...); machine b's are
// built inside a module "b" (b.dmar0, b.link.nic, b.host). Wires and traffic ports
// live under "net" (net.wire0, net.gen0).
//
// It is what the `traffic` and `capture` verbs reach (host::world_access); captures
// write pcap files into the run's output folder.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "drivers-sim/host.h"
#include "models/net/pcap.h"
#include "models/wire/traffic.h"
#include "models/wire/wire.h"
#include "platform/platform.h"
#include "scenarios/loader.h"

namespace iovsim::nic {
class nic_device;
}

namespace iovsim::scen {

struct world_machine {
  std::string name;
  std::string prefix;                         // "" for the first machine, "b." for b
  std::unique_ptr<sc_core::sc_module> scope;  // the module its models are built in (not the first's)
  std::unique_ptr<platform::machine> hw;
  std::unique_ptr<host::host_system> host;
  bool booted = false;
  std::vector<host::lspci_device> final_view;  // what lspci saw at the end of the run
};

// A wire and what is at its ends.
struct world_wire {
  std::unique_ptr<wire::wire> w;
  std::string end[2];         // as outputs and verbs name them: "a:nic0:1", "traffic:gen0"
  int machine[2] = {-1, -1};  // a NIC port: its machine, NIC and port; -1: a traffic port
  nic::nic_device* nic[2] = {nullptr, nullptr};
  unsigned port[2] = {0, 0};
};

class world : public host::world_access {
 public:
  // Builds everything (call during elaboration). `out_dir`: where captures go ("" for
  // none). Throws std::invalid_argument for values a model refuses.
  world(const loaded_scenario& s, uint64_t seed, const std::string& out_dir);
  ~world() override;

  std::vector<world_machine>& machines() { return m_machines; }
  world_machine& machine(size_t i) { return m_machines[i]; }
  const std::vector<world_wire>& wires() const { return m_wires; }
  // The traffic ports in the scenario's order, with their names.
  const std::vector<std::pair<std::string, wire::traffic_port*>>& traffic() const { return m_traffic; }
  // More than one machine, or anything wired: the outputs describe the world.
  bool is_world() const { return m_machines.size() > 1 || !m_wires.empty(); }

  // Machine 0's thread waits here until every other machine has booted.
  void wait_all_booted();
  // Every open capture written out; throws output_error when one could not be.
  void finish();

  // host::world_access
  std::vector<std::string> traffic_names() const override;
  wire::traffic_port* traffic_port(const std::string& name) override;
  wire::traffic_spec default_spec(const std::string& name) override;
  std::string start_capture(const std::string& end, const std::string& file, uint32_t snaplen) override;
  std::string stop_capture(const std::string& end, uint64_t& frames, std::string& path) override;
  std::string write_output(const std::string& file, const std::string& text) override;

 private:
  class machine_scope;
  class boot_thread;
  class net_module;
  class pcap_tap;
  struct end_ref {
    size_t wire;
    unsigned side;
  };
  void build_net(const loaded_scenario& s);
  // The wire end named `text` (canonical or short), or false.
  bool find_end(const std::string& text, end_ref& out) const;
  // What a scenario's traffic entry sends: the defaults with its settings.
  wire::traffic_spec scenario_spec(size_t index, const traffic_ref& r);

  std::string m_out_dir;
  std::vector<world_machine> m_machines;
  std::unique_ptr<net_module> m_net;
  std::vector<world_wire> m_wires;
  std::vector<std::pair<std::string, wire::traffic_port*>> m_traffic;
  std::vector<std::unique_ptr<wire::traffic_port>> m_traffic_store;
  std::vector<std::unique_ptr<boot_thread>> m_boot;
  std::map<std::string, std::unique_ptr<pcap_tap>> m_captures;  // by canonical end
  sc_core::sc_event m_booted;
};

}  // namespace iovsim::scen
