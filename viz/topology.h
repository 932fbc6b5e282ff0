// topology.dot: the PCIe tree as Graphviz reads it — root complex, ports,
// switches, PFs and their VFs — drawn from plain data (no SystemC here).
#pragma once

#include <string>
#include <vector>

namespace iovsim::viz {

struct topo_node {
  std::string id;       // unique, e.g. "0000:03:00.1"
  std::string label;    // what the box says: plain text, one line per '\n'
  std::string kind;     // host_bridge, root_port, switch_port, pf, vf, function, vm (hangs off its first function)
  std::string parent;   // id of the node above; "" for the root
};

// A DOT digraph with nodes in the given order and an edge from each parent.
// Kinds get shapes and styles; VF edges are dashed (a VF hangs off its PF).
std::string topology_dot(const std::vector<topo_node>& nodes);

// A world of machines (DESIGN.md 7a): one cluster per machine holding its PCIe tree,
// traffic ports as nodes of their own, and the wires as undirected edges between the
// NIC functions (or traffic ports) at their ends.
struct world_cluster {
  std::string name;  // the machine
  std::vector<topo_node> nodes;
};
struct world_port {
  int cluster = -1;  // -1: a traffic port, drawn outside the machines
  std::string id;    // a node id of that cluster, or the traffic port's name
};
struct world_link {
  world_port a, b;
  std::string label;  // "10G"
};
std::string world_dot(const std::vector<world_cluster>& machines, const std::vector<world_link>& wires);

}  // namespace iovsim::viz
