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
  if (kind == "vm") return "tab";
  return "component";
}

// A label's text as a DOT quoted string: quotes and backslashes escaped, each line
// break as DOT's \n escape (a centred line). Labels are plain text with real newlines
// and are escaped here once (they used to carry "\\n" already, escaped again into a
// literal backslash and n in the drawing).
std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
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

std::string world_dot(const std::vector<world_cluster>& machines, const std::vector<world_link>& wires) {
  std::ostringstream out;
  out << "digraph G {\nrankdir=LR;\nnode [fontname=\"monospace\", fontsize=10];\n";
  // Node names: m<cluster>_<index> for a machine's nodes, t_<n> for traffic ports, in
  // the order given (no pointers or hashes: the file is the same every run).
  std::vector<std::map<std::string, std::string>> ids(machines.size());
  for (size_t c = 0; c < machines.size(); ++c) {
    out << "subgraph cluster_" << c << " {\nlabel=\"" << escape(machines[c].name) << "\";\n";
    const auto& nodes = machines[c].nodes;
    for (size_t i = 0; i < nodes.size(); ++i) {
      const std::string id = "m" + std::to_string(c) + "_" + std::to_string(i);
      ids[c][nodes[i].id] = id;
      out << id << " [label=\"" << escape(nodes[i].label) << "\", shape=" << shape_of(nodes[i].kind)
          << (nodes[i].kind == "vf" ? ", style=dashed" : "") << "];\n";
    }
    for (const topo_node& n : nodes)
      if (!n.parent.empty() && ids[c].count(n.parent))
        out << ids[c][n.parent] << "->" << ids[c][n.id] << (n.kind == "vf" ? " [style=dashed]" : "") << ";\n";
    out << "}\n";
  }
  std::map<std::string, std::string> traffic;
  auto node_of = [&](const world_port& p) -> std::string {
    if (p.cluster >= 0) {
      const auto& m = ids[static_cast<size_t>(p.cluster)];
      const auto it = m.find(p.id);
      return it == m.end() ? "" : it->second;
    }
    auto it = traffic.find(p.id);
    if (it == traffic.end()) {
      const std::string id = "t_" + std::to_string(traffic.size());
      out << id << " [label=\"traffic\\n" << escape(p.id) << "\", shape=cds];\n";
      it = traffic.emplace(p.id, id).first;
    }
    return it->second;
  };
  for (const world_link& w : wires) {
    const std::string a = node_of(w.a), b = node_of(w.b);
    if (a.empty() || b.empty()) continue;
    out << a << "->" << b << " [dir=none, penwidth=2, label=\"" << escape(w.label) << "\"];\n";
  }
  out << "}\n";
  return out.str();
}

}  // namespace iovsim::viz
