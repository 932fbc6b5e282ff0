// The parts of a run's outputs that describe a world of several machines, wires and
// traffic ports (outputs_world.cpp; outputs.cpp writes them when world::is_world()).
#pragma once

#include <string>
#include <vector>

#include "results.pb.h"
#include "scenarios/world.h"
#include "viz/topology.h"

namespace iovsim::scen {

// The PCIe tree a host sees, as topology.dot draws it.
std::vector<viz::topo_node> topology(host::host_system& host);

// Machines with their functions, wires with their counts, traffic ports with what they
// sent, received and measured.
pb::World world_results(world& w);
// A few lines for summary.txt: each wire and each traffic port.
std::string world_summary(const pb::World& r);
// topology.dot of a world: a cluster per machine, wires between NIC functions.
std::string world_topology(world& w);

}  // namespace iovsim::scen
