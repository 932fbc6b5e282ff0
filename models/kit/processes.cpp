#include "models/kit/processes.h"

#include <systemc>
#include <vector>

namespace iovsim::kit {

namespace {

// Spawned processes are children of the process or module that spawned them.
void collect(const std::vector<sc_core::sc_object*>& objects, std::vector<sc_core::sc_process_handle>& out) {
  for (sc_core::sc_object* o : objects) {
    const sc_core::sc_process_handle h(o);
    if (h.valid() && h.dynamic() && !h.terminated()) out.push_back(h);
    collect(o->get_child_objects(), out);
  }
}

}  // namespace

void end_spawned_processes() {
  std::vector<sc_core::sc_process_handle> spawned;
  collect(sc_core::sc_get_top_level_objects(), spawned);
  const sc_core::sc_process_handle self = sc_core::sc_get_current_process_handle();
  for (sc_core::sc_process_handle& h : spawned)
    if (h != self && !h.terminated()) h.kill();
}

}  // namespace iovsim::kit
