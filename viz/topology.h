// topology.dot: the PCIe tree as Graphviz reads it — root complex, ports,
// switches, PFs and their VFs — drawn from plain data (no SystemC here).
#pragma once

#include <string>
#include <vector>

namespace iovsim::viz {

struct topo_node {
  std::string id;       // unique, e.g. "0000:03:00.1"
  std::string label;    // what the box says
  std::string kind;     // host_bridge, root_port, switch_port, pf, vf, function
  std::string parent;   // id of the node above; "" for the root
};

// A DOT digraph with nodes in the given order and an edge from each parent.
// Kinds get shapes and styles; VF edges are dashed (a VF hangs off its PF).
std::string topology_dot(const std::vector<topo_node>& nodes);

}  // namespace iovsim::viz
