// Shared by the sweep's files: what was asked (sweep.spec.json), its points, and
// what a point's folder says about it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace iovsim::cli::sweep_detail {

using name_value = std::pair<std::string, std::string>;

struct sweep_spec {
  std::string scenario_path;  // absolute
  std::string name;           // the scenario's name
  std::vector<std::string> varied;
  std::vector<std::vector<std::string>> values;  // per varied name
  bool zip = false;
  unsigned seeds = 0;  // 0: every point runs with scenario_seed
  uint64_t scenario_seed = 0;
  std::vector<name_value> sets;  // the base --set list
};

struct sweep_point {
  std::string id;                  // p0000
  std::vector<name_value> params;  // in varied order
  uint64_t seed = 0;
};

// The points in order: combinations (the first --vary outermost), then seeds.
std::vector<sweep_point> make_points(const sweep_spec& spec);

// JSON text of a string, with quotes.
std::string json_string(const std::string& s);
// sweep.spec.json and back (throws std::runtime_error with a message).
std::string spec_json(const sweep_spec& spec);
sweep_spec parse_spec_json(const std::string& text);
// point.json: {"id", "params" (sorted by name), "seed"} and a newline.
std::string point_json(const sweep_point& p);

// What a point's folder holds.
struct point_state {
  std::string status;  // passed, failed, error, missing
  std::optional<int> exit_code;
  std::string first_error;                               // first line of stderr.txt, else the first failed expectation
  std::vector<std::pair<std::string, double>> metrics;   // sorted by name
  std::vector<std::pair<std::string, double>> captured;  // sorted by name
};
// `dir` is the point's folder. A folder without the point.json this point would
// write is "missing" (never run, still running, or run for other values).
point_state read_point(const std::string& dir, const sweep_point& p);

// Writes DIR/sweep.json and DIR/sweep.csv from the points' folders; returns their
// states in point order. Throws std::runtime_error when a file cannot be written.
std::vector<point_state> merge(const std::string& dir, const sweep_spec& spec, const std::vector<sweep_point>& points);

std::string read_text(const std::string& path);                     // "" when absent
void write_text(const std::string& path, const std::string& text);  // throws std::runtime_error

// "host.nic.rx_ring=64 seed=1"
std::string describe(const sweep_point& p);

}  // namespace iovsim::cli::sweep_detail
