// Reads and validates scenario files and device-profile libraries.
// Every problem is reported as `file:line:col: what is wrong` (1-based line and
// column), the way compilers do, and nothing is half-loaded: a scenario either loads
// completely and consistently or throws input_error.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "profile.pb.h"
#include "scenario.pb.h"

namespace iovsim::scen {

// Text as one printable line: control characters (newline, tab, DEL...) become the
// escapes protobuf's text format writes (\n, \t, \r, \x7f), so a message that quotes
// the input, or a name from it, stays one line on a terminal.
std::string one_line_text(const std::string& text);

// A located input error. what() is the whole `file:line:col: message` line; quoted
// input in it is shown with one_line_text().
class input_error : public std::runtime_error {
 public:
  input_error(const std::string& file, int line, int col, const std::string& message);
  const std::string& file() const { return m_file; }
  int line() const { return m_line; }
  int col() const { return m_col; }
  const std::string& message() const { return m_message; }

 private:
  std::string m_file;
  int m_line;
  int m_col;
  std::string m_message;
};

struct source_location {
  int line = 0;  // 1-based; 0 = unknown
  int col = 0;
};

// One end of a scenario's wire, as the loader resolved it.
struct wire_end_ref {
  std::string text;  // as written: "a:nic0:1", "traffic:gen0"
  bool is_traffic = false;
  size_t machine = 0;  // a NIC port: the machine's index, the endpoint, the port
  std::string endpoint;
  unsigned port = 0;
  size_t traffic = 0;  // a generator: its index in `traffic`
};

struct wire_ref {
  wire_end_ref end[2];
  uint32_t rate_mbps = 10000;
  std::string propagation_delay;  // "" : the parameter's default
};

// A traffic entry read into numbers (models/net/traffic_text.h), and where it sits.
struct traffic_ref {
  uint64_t rate_bps = 0, rate_pps = 0;      // both 0: line rate
  std::vector<uint32_t> sizes;              // empty: the generator's default (64)
  std::vector<std::array<uint8_t, 6>> dst;  // empty: the port at the other end
  uint16_t vlan = 0;                        // 0: untagged
  std::vector<std::array<uint8_t, 6>> src;  // empty: the port's own MAC
  uint32_t vxlan_vni = 0;                   // 0: not tunnelled
  uint32_t flows = 0;                       // 0: the generator's default (1)
  uint64_t count = 0;                       // 0: no limit
  long long duration_ps = 0;
  long long start_ps = -1;  // -1: not started by the scenario
  size_t wire = 0;          // the wire it is on, and which end
  unsigned side = 0;
};

// A variable's value as a number (for `holds` and tables): the whole text must be one.
std::optional<double> variable_number(const std::string& value);

struct loaded_scenario {
  std::string path;                      // as given
  pb::Scenario scenario;
  pb::ProfileLibrary profiles;           // built-ins + profile_file + inline, validated
  std::vector<source_location> step_loc; // where each step starts
  std::vector<source_location> param_loc;// where each param starts
  std::vector<long long> step_time_ps;   // absolute simulated time of each step, ps
  // Model parameters of the platforms' host profiles, applied before the scenario's.
  struct host_param {
    std::string name, value, host;
  };
  std::vector<host_param> host_params;
  // The world: machine names (the first is the steps' default; "iovsim" for a scenario
  // with `platform`), each step's machine, the wires and traffic ports resolved.
  std::vector<std::string> machine_names;
  std::vector<size_t> step_machine;
  std::map<std::string, std::string> variables;  // the scenario's `var`s: name -> default value
  std::vector<wire_ref> wires;
  std::vector<traffic_ref> traffic;

  // Machine i's platform (`platform` itself when the scenario has no `machine`).
  const pb::Platform& platform(size_t i) const {
    return scenario.machine_size() ? scenario.machine(static_cast<int>(i)).platform() : scenario.platform();
  }
  size_t machines() const { return machine_names.size(); }
};

// The machine name of a scenario written with `platform` alone.
constexpr const char* DEFAULT_MACHINE_NAME = "iovsim";

// Parses a simulated-time string: "0", "250ns", "1.5ms", "2s", "100us", "10ps".
// Returns false when the text is not a time.
bool parse_sim_time(const std::string& text, long long& picoseconds);

// The built-in profile library (platform/profiles/*.pbtxt compiled into the binary).
const pb::ProfileLibrary& builtin_profiles();

// Loads a scenario file, or throws input_error.
loaded_scenario load_scenario(const std::string& path);

// Same, from text already in memory (tests); `path` names it in errors and anchors
// relative profile_file paths.
loaded_scenario load_scenario_text(const std::string& path, const std::string& text);

// Loads and validates a profile library file, or throws input_error.
pb::ProfileLibrary load_profile_library(const std::string& path);

// Same, from text already in memory (tests, fuzzing); `path` names it in errors.
pb::ProfileLibrary load_profile_library_text(const std::string& path, const std::string& text);

}  // namespace iovsim::scen
