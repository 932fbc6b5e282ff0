#include "viz/topology.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphviz.hpp>
#include <map>
#include <sstream>

namespace iovsim::viz {

namespace {
struct vertex_props {
  std::string label;
  std::string kind;
};

const char* shape_of(const std::string& kind) {
  if (kind == "host_bridge") return "box3d";
  if (kind == "root_port" || kind == "switch_port") return "box";
  if (kind == "vf") return "ellipse";
  return "component";
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}
}  // namespace

std::string topology_dot(const std::vector<topo_node>& nodes) {
  using graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, vertex_props>;
  graph g;
  std::map<std::string, graph::vertex_descriptor> index;
  for (const topo_node& n : nodes) index[n.id] = boost::add_vertex(vertex_props{n.label, n.kind}, g);
  for (const topo_node& n : nodes) {
    auto p = index.find(n.parent);
    if (!n.parent.empty() && p != index.end()) boost::add_edge(p->second, index[n.id], g);
  }
  std::ostringstream out;
  boost::write_graphviz(
      out, g,
      [&](std::ostream& os, graph::vertex_descriptor v) {
        os << "[label=\"" << escape(g[v].label) << "\", shape=" << shape_of(g[v].kind)
           << (g[v].kind == "vf" ? ", style=dashed" : "") << "]";
      },
      [&](std::ostream& os, graph::edge_descriptor e) {
        if (g[boost::target(e, g)].kind == "vf") os << "[style=dashed]";
      },
      [](std::ostream& os) { os << "rankdir=LR;\nnode [fontname=\"monospace\", fontsize=10];\n"; });
  return out.str();
}

}  // namespace iovsim::viz
