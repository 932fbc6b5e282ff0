// The sweep's files: sweep.spec.json, point.json, and the merged sweep.json and
// sweep.csv read from each point's results.json (scenarios/proto/results.proto).
#include <fmt/format.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "cli/sweep_internal.h"
#include "models/kit/sim_env.h"
#include "results.pb.h"

namespace fs = std::filesystem;

namespace iovsim::cli::sweep_detail {

std::vector<sweep_point> make_points(const sweep_spec& spec) {
  std::vector<std::vector<std::string>> combos;
  if (spec.varied.empty()) {
    combos.emplace_back();
  } else if (spec.zip) {
    for (size_t i = 0; i < spec.values.front().size(); ++i) {
      std::vector<std::string> c;
      for (const auto& list : spec.values) c.push_back(list[i]);
      combos.push_back(c);
    }
  } else {
    // An odometer: the last name turns fastest.
    std::vector<size_t> at(spec.values.size(), 0);
    for (;;) {
      std::vector<std::string> c;
      for (size_t k = 0; k < at.size(); ++k) c.push_back(spec.values[k][at[k]]);
      combos.push_back(c);
      size_t k = at.size();
      while (k > 0 && ++at[k - 1] == spec.values[k - 1].size()) at[--k] = 0;
      if (k == 0) break;
    }
  }
  std::vector<sweep_point> points;
  for (const auto& c : combos) {
    const unsigned n = spec.seeds ? spec.seeds : 1;
    for (unsigned s = 1; s <= n; ++s) {
      sweep_point p;
      p.id = fmt::format("p{:04}", points.size());
      for (size_t k = 0; k < c.size(); ++k) p.params.emplace_back(spec.varied[k], c[k]);
      p.seed = spec.seeds ? s : spec.scenario_seed;
      points.push_back(p);
    }
  }
  return points;
}

std::string json_string(const std::string& s) { return "\"" + kit::json_escape(s) + "\""; }

namespace {

// Shortest text that reads back as the same double; JSON has no inf or NaN.
std::string number(double v) { return std::isfinite(v) ? fmt::format("{}", v) : "null"; }

std::string sorted_params(const sweep_point& p) {
  std::map<std::string, std::string> sorted(p.params.begin(), p.params.end());
  std::string out = "{";
  for (const auto& [k, v] : sorted) out += (out.size() > 1 ? ", " : "") + json_string(k) + ": " + json_string(v);
  return out + "}";
}

std::string number_object(const std::vector<std::pair<std::string, double>>& values) {
  std::string out = "{";
  for (const auto& [k, v] : values) out += (out.size() > 1 ? ", " : "") + json_string(k) + ": " + number(v);
  return out + "}";
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string first_line(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) return line;
  return "";
}

const google::protobuf::Value& field(const google::protobuf::Struct& s, const std::string& name) {
  const auto it = s.fields().find(name);
  if (it == s.fields().end()) throw std::runtime_error(fmt::format("sweep.spec.json: no \"{}\"", name));
  return it->second;
}

}  // namespace

std::string spec_json(const sweep_spec& spec) {
  std::string vary;
  for (size_t k = 0; k < spec.varied.size(); ++k) {
    std::string values;
    for (const auto& v : spec.values[k]) values += (values.empty() ? "" : ", ") + json_string(v);
    vary += fmt::format("{}{{\"name\": {}, \"values\": [{}]}}", k ? ", " : "", json_string(spec.varied[k]), values);
  }
  std::string sets;
  for (const auto& [k, v] : spec.sets)
    sets += fmt::format("{}{{\"name\": {}, \"value\": {}}}", sets.empty() ? "" : ", ", json_string(k), json_string(v));
  return fmt::format(
      "{{\"scenario\": {}, \"name\": {}, \"vary\": [{}], \"zip\": {}, \"seeds\": {}, \"scenario_seed\": {}, \"set\": "
      "[{}]}}\n",
      json_string(spec.scenario_path), json_string(spec.name), vary, spec.zip ? "true" : "false", spec.seeds,
      spec.scenario_seed, sets);
}

sweep_spec parse_spec_json(const std::string& text) {
  google::protobuf::Struct s;
  if (!google::protobuf::util::JsonStringToMessage(text, &s).ok())
    throw std::runtime_error("sweep.spec.json is not JSON");
  sweep_spec spec;
  spec.scenario_path = field(s, "scenario").string_value();
  spec.name = field(s, "name").string_value();
  for (const auto& v : field(s, "vary").list_value().values()) {
    spec.varied.push_back(field(v.struct_value(), "name").string_value());
    spec.values.emplace_back();
    for (const auto& x : field(v.struct_value(), "values").list_value().values())
      spec.values.back().push_back(x.string_value());
  }
  spec.zip = field(s, "zip").bool_value();
  spec.seeds = static_cast<unsigned>(field(s, "seeds").number_value());
  spec.scenario_seed = static_cast<uint64_t>(field(s, "scenario_seed").number_value());
  for (const auto& v : field(s, "set").list_value().values())
    spec.sets.emplace_back(field(v.struct_value(), "name").string_value(),
                           field(v.struct_value(), "value").string_value());
  return spec;
}

std::string point_json(const sweep_point& p) {
  return fmt::format("{{\"id\": {}, \"params\": {}, \"seed\": {}}}\n", json_string(p.id), sorted_params(p), p.seed);
}

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) throw std::runtime_error(fmt::format("cannot write {}", path));
}

std::string describe(const sweep_point& p) {
  std::string out;
  for (const auto& [k, v] : p.params) out += k + "=" + v + " ";
  return out + fmt::format("seed={}", p.seed);
}

point_state read_point(const std::string& dir, const sweep_point& p) {
  point_state st;
  st.status = "missing";
  if (read_text(dir + "/point.json") != point_json(p)) return st;
  const std::string code = read_text(dir + "/exit_code.txt");
  if (!code.empty()) st.exit_code = std::atoi(code.c_str());
  st.first_error = first_line(read_text(dir + "/stderr.txt"));
  pb::RunResults r;
  google::protobuf::util::JsonParseOptions jopt;
  jopt.ignore_unknown_fields = true;
  const std::string json = read_text(dir + "/results.json");
  if (json.empty() || !google::protobuf::util::JsonStringToMessage(json, &r, jopt).ok()) {
    st.status = "error";
    if (st.first_error.empty()) st.first_error = "no results.json";
    return st;
  }
  if (!st.exit_code) st.exit_code = r.passed() ? 0 : 1;
  st.status = *st.exit_code == 0 && r.passed() ? "passed" : *st.exit_code <= 1 ? "failed" : "error";
  if (st.first_error.empty())
    for (const auto& e : r.expectation())
      if (!e.passed()) {
        st.first_error = fmt::format("expectation failed at step {} [{}] $ {}: {}", e.step(), e.at(), e.shell(),
                                     e.actual().empty() ? e.check() : e.actual());
        break;
      }
  std::map<std::string, double> metrics, captured;
  for (const auto& m : r.metric()) metrics[m.name()] = m.value();
  for (const auto& c : r.captured()) captured[c.name()] = c.value();
  st.metrics.assign(metrics.begin(), metrics.end());
  st.captured.assign(captured.begin(), captured.end());
  return st;
}

std::vector<point_state> merge(const std::string& dir, const sweep_spec& spec, const std::vector<sweep_point>& points) {
  std::vector<point_state> states;
  std::set<std::string> metric_names, captured_names;
  for (const sweep_point& p : points) {
    states.push_back(read_point((fs::path(dir) / "points" / p.id).string(), p));
    for (const auto& m : states.back().metrics) metric_names.insert(m.first);
    for (const auto& c : states.back().captured) captured_names.insert(c.first);
  }

  std::string varied;
  for (const auto& v : spec.varied) varied += (varied.empty() ? "" : ", ") + json_string(v);
  std::string json = fmt::format("{{\"scenario\": {}, \"varied\": [{}], \"seeds\": {},\n \"points\": [",
                                 json_string(spec.name), varied, spec.seeds ? spec.seeds : 1);
  for (size_t i = 0; i < points.size(); ++i) {
    const sweep_point& p = points[i];
    const point_state& st = states[i];
    json += fmt::format(
        "{}\n  {{\"id\": {}, \"dir\": {}, \"params\": {}, \"seed\": {}, \"status\": {}, \"exit_code\": {}, "
        "\"metrics\": {}, \"captured\": {}}}",
        i ? "," : "", json_string(p.id), json_string("points/" + p.id), sorted_params(p), p.seed,
        json_string(st.status), st.exit_code ? std::to_string(*st.exit_code) : "null", number_object(st.metrics),
        number_object(st.captured));
  }
  json += "]}\n";
  write_text((fs::path(dir) / "sweep.json").string(), json);

  std::string csv = "point";
  for (const auto& v : spec.varied) csv += "," + csv_cell(v);
  csv += ",seed,status,exit_code";
  for (const auto& c : captured_names) csv += "," + csv_cell("captured." + c);
  for (const auto& m : metric_names) csv += "," + csv_cell("metric." + m);
  csv += "\n";
  for (size_t i = 0; i < points.size(); ++i) {
    const sweep_point& p = points[i];
    const point_state& st = states[i];
    csv += p.id;
    for (const auto& kv : p.params) csv += "," + csv_cell(kv.second);
    csv += fmt::format(",{},{},{}", p.seed, st.status, st.exit_code ? std::to_string(*st.exit_code) : "");
    const std::map<std::string, double> captured(st.captured.begin(), st.captured.end());
    const std::map<std::string, double> metrics(st.metrics.begin(), st.metrics.end());
    for (const auto& c : captured_names) {
      const auto it = captured.find(c);
      csv += "," + (it == captured.end() || !std::isfinite(it->second) ? "" : fmt::format("{}", it->second));
    }
    for (const auto& m : metric_names) {
      const auto it = metrics.find(m);
      csv += "," + (it == metrics.end() || !std::isfinite(it->second) ? "" : fmt::format("{}", it->second));
    }
    csv += "\n";
  }
  write_text((fs::path(dir) / "sweep.csv").string(), csv);
  return states;
}

}  // namespace iovsim::cli::sweep_detail
