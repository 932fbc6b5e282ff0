// Scenario validation: topology (names, attachments, device numbers), kernel
// command line, files, and the step timeline with its expectations.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "platform/module_names.h"
#include "scenarios/loader_internal.h"

namespace iovsim::scen {

namespace {

// The kernel parameters the simulated host understands (DESIGN.md §7).
const std::set<std::string> k_known_params = {"iommu=pt", "iommu=nopt", "iommu.strict=0", "iommu.strict=1", "quiet"};
// Parameters that take a comma-separated list of options (kernel-parameters.txt), and
// the options the simulated kernel knows.
const std::map<std::string, std::set<std::string>> k_known_option_lists = {
    {"pci=", {"assign-busses", "realloc", "realloc=on", "realloc=off", "noari", "noats"}},
    {"intel_iommu=", {"on", "off", "sp_off"}}};
// errno names a step may expect (what sysfs writes and the simulated commands return).
const std::set<std::string> k_errno_names = {
    "EPERM", "ENOENT", "EIO",    "ENXIO",  "E2BIG", "ENOMEM",     "EACCES", "EBUSY",
    "EEXIST", "ENODEV", "EINVAL", "ENOSPC", "ERANGE", "EOPNOTSUPP", "ENOTSUP"};

struct topo_node {
  std::string kind;  // "root port", "switch", "downstream port", "endpoint"
  source_location loc;
  int switch_index = -1;  // for a downstream port: its switch
};

// Picoseconds as the largest unit that divides them: 2000000000 -> "2ms".
std::string format_time(long long ps) {
  static const std::pair<long long, const char*> k_units[] = {
      {1000000000000, "s"}, {1000000000, "ms"}, {1000000, "us"}, {1000, "ns"}};
  if (ps == 0) return "0";
  for (const auto& [scale, unit] : k_units)
    if (ps % scale == 0) return fmt::format("{}{}", ps / scale, unit);
  return fmt::format("{}ps", ps);
}

// What std::regex (libstdc++) must not be given, or "": a number in a repetition
// count or back-reference too large for its int (it overflows, undefined behaviour),
// or groups nested so deep that its recursive compiler exhausts the stack. Real
// expectations need neither.
constexpr size_t MAX_REGEX_NUMBER_DIGITS = 5;
constexpr int MAX_REGEX_NESTING = 50;
std::string regex_trouble(const std::string& re) {
  int depth = 0;
  bool in_braces = false;  // a ',' is a count's only inside {m,n}: "0,262144,64" is text
  for (size_t i = 0; i < re.size(); ++i) {
    const char c = re[i];
    if (c == '{')
      in_braces = true;
    else if (c == '}')
      in_braces = false;
    if (c == '\\' || c == '{' || (c == ',' && in_braces)) {
      size_t digits = 0;
      while (i + 1 + digits < re.size() && std::isdigit(static_cast<unsigned char>(re[i + 1 + digits]))) ++digits;
      if (digits > MAX_REGEX_NUMBER_DIGITS)
        return fmt::format("the number {} is too large for a repetition count or back-reference",
                           re.substr(i + 1, digits));
      if (c == '\\') ++i;  // the escaped character is not syntax
    } else if (c == '(' && ++depth > MAX_REGEX_NESTING) {
      return fmt::format("groups nested deeper than {} levels", MAX_REGEX_NESTING);
    } else if (c == ')' && depth > 0) {
      --depth;
    }
  }
  return "";
}

// A capture name: [A-Za-z_][A-Za-z0-9_]* (checked by hand: a std::regex recurses per
// character, and names come from the input).
bool is_identifier(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (const char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_') || static_cast<unsigned char>(c) >= 0x80)
      return false;
  return true;
}

// `holds` relations are short ("a <= 1.05 * b"); longer text is refused before a regex
// (here and in the engine, on the host thread's stack) walks it.
constexpr size_t MAX_RELATION_CHARS = 200;

std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

void check_kernel_cmdline(const pb::Platform& p, const locator& at) {
  std::istringstream tokens(p.kernel_cmdline());
  std::string token;
  while (tokens >> token) {
    const auto list = std::find_if(k_known_option_lists.begin(), k_known_option_lists.end(),
                                   [&](const auto& l) { return token.rfind(l.first, 0) == 0; });
    if (list != k_known_option_lists.end()) {
      // Linux takes a comma-separated list after pci= and intel_iommu=
      // (Documentation/admin-guide/kernel-parameters.txt); every option must be one the
      // simulated kernel knows.
      const std::string& name = list->first;
      const std::set<std::string>& known = list->second;
      std::istringstream options(token.substr(name.size()));
      std::string option;
      bool any = false;
      while (std::getline(options, option, ',')) {
        any = true;
        if (known.count(option) == 0)
          at.fail(p, "kernel_cmdline", -1,
                  fmt::format("kernel_cmdline: unknown {} option \"{}\" in \"{}\" (known: {})", name, option, token,
                              join(known)));
      }
      if (!any)
        at.fail(p, "kernel_cmdline", -1,
                fmt::format("kernel_cmdline: \"{}\" has no option (known: {})", token, join(known)));
    } else if (k_known_params.count(token) == 0) {
      at.fail(p, "kernel_cmdline", -1,
              fmt::format("kernel_cmdline: unknown parameter \"{}\" (known: pci=..., intel_iommu=..., {})", token,
                          join(k_known_params)));
    }
  }
}

bool has_port_profile(const pb::ProfileLibrary& lib, const std::string& name) {
  for (const pb::PortProfile& p : lib.port())
    if (p.name() == name) return true;
  return false;
}

bool has_device_profile(const pb::ProfileLibrary& lib, const std::string& name) {
  for (const pb::DeviceProfile& d : lib.device())
    if (d.name() == name) return true;
  return false;
}

void check_topology(const pb::Platform& p, const locator& at, const pb::ProfileLibrary& profiles) {
  std::map<std::string, topo_node> nodes;
  std::map<std::string, std::string> models;  // model name (platform::module_name) -> scenario name
  auto add_name = [&](const google::protobuf::Message& msg, const locator& l,
                      const std::string& name, const std::string& kind, int sw) {
    if (name.empty()) l.fail(l.self(), fmt::format("{} has no name", kind));
    const auto it = nodes.find(name);
    if (it != nodes.end())
      l.fail(msg, "name", -1,
             fmt::format("duplicate name \"{}\": already used by the {} at line {}", name,
                         it->second.kind, it->second.loc.line));
    // Names become model names (SystemC modules, log and parameter names): they must
    // stay apart once spelled that way, and keep off the machine's own.
    const std::string model = platform::module_name(name);
    if (const auto m = models.find(model); m != models.end())
      l.fail(msg, "name", -1,
             fmt::format("name \"{}\" gives the same model name \"{}\" as \"{}\" (characters other than "
                         "letters, digits and _ become _)",
                         name, model, m->second));
    if (kind == "switch" || kind == "endpoint")
      for (const char* own : platform::MACHINE_MODULES)
        if (model == own)
          l.fail(msg, "name", -1,
                 fmt::format("{} \"{}\": the machine's own model \"{}\" has that name (cpu, mem, dmar0, dma, rc "
                             "and host are taken)",
                             kind, name, own));
    models[model] = name;
    nodes[name] = topo_node{kind, l.at(msg, "name"), sw};
  };

  // Root ports: bus 0, device 0..31, function 0..7, not the host bridge's 00:00.0.
  std::map<uint32_t, std::string> root_devfn;
  for (int i = 0; i < p.root_port_size(); ++i) {
    const pb::RootPort& rp = p.root_port(i);
    const locator l = at.nested(p, "root_port", i);
    add_name(rp, l, rp.name(), "root port", -1);
    if (rp.device() > 31)
      l.fail(rp, "device", -1,
             fmt::format("root port \"{}\": device {} out of range 0..31", rp.name(), rp.device()));
    if (rp.function() > 7)
      l.fail(rp, "function", -1, fmt::format("root port \"{}\": function {} out of range 0..7",
                                             rp.name(), rp.function()));
    const std::string bdf = fmt::format("00:{:02x}.{}", rp.device(), rp.function());
    if (rp.device() == 0 && rp.function() == 0)
      l.fail(l.self(), fmt::format("root port \"{}\" at 00:00.0 clashes with the host bridge",
                                   rp.name()));
    const uint32_t devfn = rp.device() * 8 + rp.function();
    if (const auto it = root_devfn.find(devfn); it != root_devfn.end())
      l.fail(l.self(), fmt::format("root port \"{}\" at {} clashes with root port \"{}\"",
                                   rp.name(), bdf, it->second));
    root_devfn[devfn] = rp.name();
    const std::string profile = rp.profile().empty() ? "generic_root_port" : rp.profile();
    if (!has_port_profile(profiles, profile))
      l.fail(rp, "profile", -1, fmt::format("root port \"{}\": unknown port profile \"{}\"",
                                            rp.name(), profile));
  }

  // Host memory: room for the kernel (it starts allocating at 16 MiB) and whole pages.
  if (p.memory_bytes() != 0 && (p.memory_bytes() < (64ull << 20) || p.memory_bytes() % 4096 != 0))
    at.fail(p, "memory_bytes", -1,
            fmt::format("memory_bytes {} must be a multiple of 4096 and at least 64 MiB", p.memory_bytes()));

  // The host bridge at 00:00.0.
  {
    const std::string profile = p.host_bridge().empty() ? "generic_host_bridge" : p.host_bridge();
    if (!has_port_profile(profiles, profile))
      at.fail(p, "host_bridge", -1, fmt::format("unknown host bridge profile \"{}\"", profile));
  }

  // Switches and their downstream ports.
  for (int i = 0; i < p.switch__size(); ++i) {
    const pb::Switch& sw = p.switch_(i);
    const locator l = at.nested(p, "switch", i);
    add_name(sw, l, sw.name(), "switch", -1);
    const std::string profile = sw.profile().empty() ? "generic_switch_port" : sw.profile();
    if (!has_port_profile(profiles, profile))
      l.fail(sw, "profile", -1,
             fmt::format("switch \"{}\": unknown port profile \"{}\"", sw.name(), profile));
    std::map<uint32_t, std::string> devices;
    for (int j = 0; j < sw.downstream_size(); ++j) {
      const pb::SwitchPort& dp = sw.downstream(j);
      const locator dl = l.nested(sw, "downstream", j);
      add_name(dp, dl, dp.name(), "downstream port", i);
      if (dp.device() > 31)
        dl.fail(dp, "device", -1,
                fmt::format("switch \"{}\": downstream port \"{}\" device {} out of range 0..31",
                            sw.name(), dp.name(), dp.device()));
      if (const auto it = devices.find(dp.device()); it != devices.end())
        dl.fail(dp, "device", -1,
                fmt::format("switch \"{}\": downstream port \"{}\" device {} is already used by "
                            "\"{}\"",
                            sw.name(), dp.name(), dp.device(), it->second));
      devices[dp.device()] = dp.name();
    }
  }

  for (int i = 0; i < p.endpoint_size(); ++i) {
    const pb::Endpoint& ep = p.endpoint(i);
    const locator l = at.nested(p, "endpoint", i);
    add_name(ep, l, ep.name(), "endpoint", -1);
    if (ep.profile().empty())
      l.fail(l.self(), fmt::format("endpoint \"{}\" has no profile", ep.name()));
    if (!has_device_profile(profiles, ep.profile()))
      l.fail(ep, "profile", -1, fmt::format("endpoint \"{}\": unknown device profile \"{}\"",
                                            ep.name(), ep.profile()));
  }

  // Attachments: each switch and endpoint hangs below a port, one device per port.
  std::map<std::string, std::string> below;  // port -> `kind "name"` of its device
  auto check_attach = [&](const google::protobuf::Message& msg, const locator& l,
                          const std::string& kind, const std::string& name,
                          const std::string& attach) {
    const std::string who = fmt::format("{} \"{}\"", kind, name);
    if (attach.empty())
      l.fail(l.self(), fmt::format("{} has no attach (the root port or switch downstream port "
                                   "above it)",
                                   who));
    const auto it = nodes.find(attach);
    if (it == nodes.end())
      l.fail(msg, "attach", -1, fmt::format("{} attaches to unknown port \"{}\"", who, attach));
    if (it->second.kind != "root port" && it->second.kind != "downstream port")
      l.fail(msg, "attach", -1,
             fmt::format("{} attaches to \"{}\", which is {} {}, not a port", who, attach,
                         it->second.kind == "endpoint" ? "an" : "a", it->second.kind));
    if (const auto b = below.find(attach); b != below.end())
      l.fail(msg, "attach", -1,
             fmt::format("{} attaches to port \"{}\", which already has {} below it (a PCIe "
                         "link has one device)",
                         who, attach, b->second));
    below[attach] = who;
  };
  for (int i = 0; i < p.switch__size(); ++i)
    check_attach(p.switch_(i), at.nested(p, "switch", i), "switch", p.switch_(i).name(),
                 p.switch_(i).attach());
  for (int i = 0; i < p.endpoint_size(); ++i)
    check_attach(p.endpoint(i), at.nested(p, "endpoint", i), "endpoint", p.endpoint(i).name(),
                 p.endpoint(i).attach());

  // No switch may end up below itself: follow attach upwards until a root port.
  for (int i = 0; i < p.switch__size(); ++i) {
    std::vector<int> path = {i};
    std::set<int> seen = {i};
    int current = i;
    while (true) {
      const topo_node& port = nodes.at(p.switch_(current).attach());
      if (port.kind == "root port") break;
      const int up = port.switch_index;
      if (up == i) {
        const locator l = at.nested(p, "switch", i);
        if (path.size() == 1)
          l.fail(p.switch_(i), "attach", -1,
                 fmt::format("switch \"{}\" attaches to its own downstream port \"{}\"",
                             p.switch_(i).name(), p.switch_(i).attach()));
        std::string chain;
        for (int s : path) chain += p.switch_(s).name() + " -> ";
        l.fail(p.switch_(i), "attach", -1,
               fmt::format("switch \"{}\" is below itself: {}{}", p.switch_(i).name(), chain,
                           p.switch_(i).name()));
      }
      if (!seen.insert(up).second) break;  // a cycle above, reported for its members
      path.push_back(up);
      current = up;
    }
  }
}

// Tables: a name, columns, rows as wide as the columns, "=NAME" cells naming captures.
void check_tables(const pb::Scenario& s, const locator& at, const std::set<std::string>& captured) {
  std::set<std::string> names;
  for (int i = 0; i < s.table_size(); ++i) {
    const pb::Table& t = s.table(i);
    const locator tl = at.nested(s, "table", i);
    const std::string who = fmt::format("table {}", i + 1);
    if (!is_identifier(t.name()))
      tl.fail(t, "name", -1, fmt::format("{}: name \"{}\" is not an identifier", who, t.name()));
    if (!names.insert(t.name()).second) tl.fail(t, "name", -1, fmt::format("{}: a second table \"{}\"", who, t.name()));
    if (t.column_size() == 0) tl.fail(t, "column", -1, fmt::format("{}: no columns", who));
    for (int r = 0; r < t.row_size(); ++r) {
      const pb::Table::Row& row = t.row(r);
      const locator rl = tl.nested(t, "row", r);
      if (row.cell_size() != t.column_size())
        rl.fail(row, "cell", -1,
                fmt::format("{}, row {}: {} cells for {} columns", who, r + 1, row.cell_size(), t.column_size()));
      for (int c = 0; c < row.cell_size(); ++c) {
        const std::string& cell = row.cell(c);
        if (cell.size() < 2 || cell[0] != '=') continue;
        const std::string name = cell.substr(1);
        if (!is_identifier(name) || !captured.count(name))
          rl.fail(row, "cell", c, fmt::format("{}, row {}: \"{}\" is not captured by any step", who, r + 1, name));
      }
    }
  }
}

void check_steps(loaded_scenario& out, const locator& at) {
  const pb::Scenario& s = out.scenario;
  long long previous = 0;
  std::set<std::string> captured;   // names captured so far, for `holds`
  // Variables: a number is a captured number from the start.
  for (int i = 0; i < s.var_size(); ++i) {
    const pb::Var& v = s.var(i);
    const locator vl = at.nested(s, "var", i);
    if (!is_identifier(v.name()))
      vl.fail(v, "name", -1,
              fmt::format("var {}: name \"{}\" is not a name (letters, digits and _, not starting with a digit)", i + 1,
                          v.name()));
    // The shell's own variables keep their meaning.
    static const std::set<std::string> k_shell_owned = {"PATH", "PWD", "OLDPWD", "IFS", "HOME"};
    if (k_shell_owned.count(v.name()))
      vl.fail(v, "name", -1, fmt::format("var {}: \"{}\" is the shell's own variable", i + 1, v.name()));
    if (!out.variables.emplace(v.name(), v.value()).second)
      vl.fail(v, "name", -1, fmt::format("var {}: a second variable \"{}\"", i + 1, v.name()));
    if (variable_number(v.value())) captured.insert(v.name());
  }
  for (int i = 0; i < s.step_size(); ++i) {
    const pb::Step& step = s.step(i);
    const locator l = at.nested(s, "step", i);
    out.step_loc.push_back(l.self());
    long long t = previous;  // an omitted `at` means right after the previous step
    if (!step.at().empty()) {
      if (!parse_sim_time(step.at(), t))
        l.fail(step, "at", -1,
               fmt::format("step {}: bad time \"{}\" (expected e.g. \"0\", \"250ns\", \"1.5ms\", "
                           "\"2s\")",
                           i + 1, step.at()));
      if (t < previous)
        l.fail(step, "at", -1,
               fmt::format("step {} at {} is earlier than step {} at {} (steps must be in time "
                           "order)",
                           i + 1, step.at(), i, format_time(previous)));
    }
    out.step_time_ps.push_back(t);
    previous = t;
    if (step.shell().empty())
      l.fail(l.self(), fmt::format("step {} has an empty shell line", i + 1));
    for (int j = 0; j < step.capture_size(); ++j) {
      const pb::Capture& c = step.capture(j);
      const locator cl = l.nested(step, "capture", j);
      if (!is_identifier(c.name()))
        cl.fail(c, "name", -1, fmt::format("step {}, capture {}: name \"{}\" is not an identifier", i + 1, j + 1, c.name()));
      if (const std::string trouble = regex_trouble(c.regex()); !trouble.empty())
        cl.fail(c, "regex", -1,
                fmt::format("step {}, capture {}: bad regex \"{}\": {}", i + 1, j + 1, c.regex(), trouble));
      try {
        if (std::regex(c.regex(), std::regex::ECMAScript).mark_count() < 1)
          cl.fail(c, "regex", -1,
                  fmt::format("step {}, capture {}: regex \"{}\" has no group to capture", i + 1, j + 1, c.regex()));
      } catch (const std::regex_error& err) {
        cl.fail(c, "regex", -1, fmt::format("step {}, capture {}: bad regex \"{}\": {}", i + 1, j + 1, c.regex(), err.what()));
      }
      if (out.variables.count(c.name()))
        cl.fail(c, "name", -1, fmt::format("step {}, capture {}: \"{}\" is a variable's name", i + 1, j + 1, c.name()));
      captured.insert(c.name());
    }
    for (int j = 0; j < step.expect_size(); ++j) {
      const pb::Expect& e = step.expect(j);
      const locator el = l.nested(step, "expect", j);
      const std::string who = fmt::format("step {}, expect {}", i + 1, j + 1);
      switch (e.what_case()) {
        case pb::Expect::WHAT_NOT_SET:
          el.fail(el.self(), fmt::format("{}: nothing to check (set one of output_contains, "
                                         "output_matches, output_not_contains, output_equals, "
                                         "fails_with, file_equals, exit_status, output_lines)",
                                         who));
        case pb::Expect::kOutputMatches:
          if (const std::string trouble = regex_trouble(e.output_matches()); !trouble.empty())
            el.fail(e, "output_matches", -1, fmt::format("{}: bad regex \"{}\": {}", who, e.output_matches(), trouble));
          try {
            std::regex check(e.output_matches(), std::regex::ECMAScript);
          } catch (const std::regex_error& err) {
            el.fail(e, "output_matches", -1,
                    fmt::format("{}: bad regex \"{}\": {}", who, e.output_matches(), err.what()));
          }
          break;
        case pb::Expect::kHolds: {
          // "a < b", "a >= 2 * b", "a > 100": every name must be captured by now.
          // Bounded before std::regex sees it: libstdc++'s matcher recurses per character.
          if (e.holds().size() > MAX_RELATION_CHARS)
            el.fail(e, "holds", -1,
                    fmt::format("{}: a relation of {} characters is too long (at most {})", who, e.holds().size(),
                                MAX_RELATION_CHARS));
          static const std::regex rel(R"(^\s*((?:[0-9.]+\s*\*\s*)?[A-Za-z_0-9.]+)\s*(<=|>=|<|>|==)\s*((?:[0-9.]+\s*\*\s*)?[A-Za-z_0-9.]+)\s*$)");
          std::smatch m;
          if (!std::regex_match(e.holds(), m, rel)) {
            el.fail(e, "holds", -1, fmt::format("{}: \"{}\" is not a relation like \"a < 2 * b\"", who, e.holds()));
            break;
          }
          for (int side : {1, 3}) {
            std::string name = m[side];
            if (const auto star = name.find('*'); star != std::string::npos) name = name.substr(star + 1);
            name.erase(0, name.find_first_not_of(' '));
            if (!name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) && name[0] != '.' && !captured.count(name))
              el.fail(e, "holds", -1, fmt::format("{}: \"{}\" was not captured by this or an earlier step", who, name));
          }
          break;
        }
        case pb::Expect::kFailsWith:
          if (k_errno_names.count(e.fails_with()) == 0)
            el.fail(e, "fails_with", -1,
                    fmt::format("{}: unknown errno name \"{}\" (known: {})", who, e.fails_with(),
                                join(k_errno_names)));
          break;
        default:
          break;
      }
    }
  }
  check_tables(s, at, captured);
}

}  // namespace

std::optional<double> variable_number(const std::string& value) {
  if (value.empty() || value.size() > 64 || std::isspace(static_cast<unsigned char>(value[0]))) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  if (end != value.c_str() + value.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

void validate_platform(const pb::Platform& p, const locator& platform, const pb::ProfileLibrary& profiles) {
  check_kernel_cmdline(p, platform);
  check_topology(p, platform, profiles);
  for (int i = 0; i < p.file_size(); ++i) {
    const pb::File& f = p.file(i);
    if (f.path().empty() || f.path()[0] != '/') {
      const locator l = platform.nested(p, "file", i);
      l.fail(f, "path", -1, fmt::format("file path \"{}\" is not absolute", f.path()));
    }
  }
}

// A platform's `host` profile fills in what the platform leaves out (host bridge, root
// ports' profiles, memory) and contributes its model parameters, which must agree
// across the machines of a world: parameters are set by kind for all of them.
void apply_host_profile(pb::Platform& p, const locator& at, const pb::ProfileLibrary& profiles, loaded_scenario& out) {
  if (p.host().empty()) return;
  const pb::HostProfile* host = nullptr;
  for (const pb::HostProfile& h : profiles.host())
    if (h.name() == p.host()) host = &h;
  if (!host) {
    std::set<std::string> names;
    for (const pb::HostProfile& h : profiles.host()) names.insert(h.name());
    at.fail(p, "host", -1, fmt::format("unknown host profile \"{}\" (known: {})", p.host(), join(names)));
  }
  if (p.host_bridge().empty()) p.set_host_bridge(host->host_bridge());
  if (p.memory_bytes() == 0) p.set_memory_bytes(host->memory_bytes());
  for (pb::RootPort& rp : *p.mutable_root_port())
    if (rp.profile().empty()) rp.set_profile(host->root_port());
  for (const pb::ParamValue& v : host->param()) {
    auto it = std::find_if(out.host_params.begin(), out.host_params.end(),
                           [&](const loaded_scenario::host_param& hp) { return hp.name == v.name(); });
    if (it == out.host_params.end()) {
      out.host_params.push_back({v.name(), v.value(), host->name()});
    } else if (it->value != v.value()) {
      at.fail(p, "host", -1,
              fmt::format("host profile \"{}\" sets {}={}, but host profile \"{}\" of another machine sets {}: model "
                          "parameters are the same for every machine",
                          host->name(), v.name(), v.value(), it->host, it->value));
    }
  }
}

void validate_scenario(loaded_scenario& out, const locator& where, const pb::ProfileLibrary& profiles) {
  if (out.scenario.machine_size() == 0) {
    if (out.scenario.has_platform())
      apply_host_profile(*out.scenario.mutable_platform(), where.nested(out.scenario, "platform"), profiles, out);
  } else {
    for (int i = 0; i < out.scenario.machine_size(); ++i) {
      pb::Machine& m = *out.scenario.mutable_machine(i);
      apply_host_profile(*m.mutable_platform(), where.nested(out.scenario, "machine", i).nested(m, "platform"),
                         profiles, out);
    }
  }
  const pb::Scenario& s = out.scenario;
  if (s.machine_size() == 0) {
    validate_platform(s.platform(), where.nested(s, "platform"), profiles);
  } else {
    if (s.has_platform())
      where.fail(s, "platform", -1, "a scenario has either `platform` (one machine) or `machine` entries, not both");
    for (int i = 0; i < s.machine_size(); ++i) {
      const locator m = where.nested(s, "machine", i);
      validate_platform(s.machine(i).platform(), m.nested(s.machine(i), "platform"), profiles);
    }
  }
  check_steps(out, where);
  validate_world(out, where, profiles);
  for (int i = 0; i < s.param_size(); ++i) out.param_loc.push_back(where.at(s, "param", i));
}

}  // namespace iovsim::scen
