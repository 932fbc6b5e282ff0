#include "scenarios/outputs.h"

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <system_error>

#include "models/kit/series.h"
#include "models/kit/stats.h"
#include "results.pb.h"
#include "scenarios/outputs_world.h"
#include "scenarios/utf8.h"
#include "scenarios/world.h"
#include "viz/topology.h"

namespace iovsim::scen {

namespace fs = std::filesystem;

namespace {
// The reason of the last failed C library call, as the tools print it.
std::string reason() { return errno ? std::strerror(errno) : "input/output error"; }

void write_file(const fs::path& path, const std::string& text) {
  // stdio rather than ofstream: fclose() reports a full disk (ENOSPC, EDQUOT) that a
  // buffered stream would only drop.
  // Outputs are UTF-8 text whatever bytes a command printed (`cat config`).
  const bool valid = first_invalid_utf8(text) == std::string::npos;
  const std::string repaired = valid ? std::string() : to_valid_utf8(text);
  const std::string& utf8 = valid ? text : repaired;
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw output_error(fmt::format("cannot write {}: {}", path.string(), reason()));
  const bool written = std::fwrite(utf8.data(), 1, utf8.size(), f) == utf8.size();
  const int saved = errno;
  if (std::fclose(f) != 0 || !written) {
    if (!written) errno = saved;
    throw output_error(fmt::format("cannot write {}: {}", path.string(), reason()));
  }
}

std::string indent(const std::string& text, const std::string& pad) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += pad + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

// `text` in lines of at most `width` columns after `pad` (words kept whole).
std::string wrap(const std::string& text, const std::string& pad, size_t width) {
  std::string out, line;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += pad + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  if (!line.empty()) out += pad + line + "\n";
  return out;
}

// A scenario table with its cells filled from the captures ("=NAME").
pb::TableResult fill_table(const pb::Table& spec, const run_report& report) {
  pb::TableResult t;
  t.set_name(spec.name());
  t.set_title(spec.title());
  *t.mutable_column() = spec.column();
  for (const pb::Table::Row& r : spec.row()) {
    pb::TableResult::Row* row = t.add_row();
    for (const std::string& cell : r.cell()) {
      pb::TableResult::Cell* c = row->add_cell();
      if (cell.size() < 2 || cell[0] != '=') {
        c->set_text(cell);
        continue;
      }
      const std::string name = cell.substr(1);
      c->set_capture(name);
      auto it = std::find_if(report.captured.begin(), report.captured.end(),
                             [&name](const run_report::capture& x) { return x.name == name; });
      if (it == report.captured.end()) {
        c->set_missing(true);
        c->set_text("-");
      } else {
        c->set_value(it->value);
        c->set_text(fmt::format("{:.6g}", it->value));
      }
    }
  }
  return t;
}

// summary.txt's form of a table: the title, then columns as wide as their widest
// cell; a column of numbers (captures, or text that reads as a number or "-") is
// aligned right, any other left.
std::string table_text(const pb::TableResult& t) {
  const auto columns = static_cast<size_t>(t.column_size());
  std::vector<size_t> width(columns);
  std::vector<bool> numeric(columns, true);
  auto is_number = [](const pb::TableResult::Cell& c) {
    if (!c.capture().empty() || c.text() == "-") return true;
    const std::string& x = c.text();
    return !x.empty() && x.find_first_not_of("0123456789.-+eE%") == std::string::npos;
  };
  for (size_t i = 0; i < columns; ++i) width[i] = t.column(static_cast<int>(i)).size();
  for (const pb::TableResult::Row& r : t.row())
    for (size_t i = 0; i < static_cast<size_t>(r.cell_size()) && i < columns; ++i) {
      const pb::TableResult::Cell& c = r.cell(static_cast<int>(i));
      width[i] = std::max(width[i], c.text().size());
      if (!is_number(c)) numeric[i] = false;
    }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = " ";
    for (size_t i = 0; i < cells.size() && i < columns; ++i)
      out += numeric[i] ? fmt::format(" {:>{}}", cells[i], width[i]) : fmt::format(" {:<{}}", cells[i], width[i]);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = fmt::format("\n{}:\n", t.title().empty() ? t.name() : t.title());
  out += line(std::vector<std::string>(t.column().begin(), t.column().end()));
  for (const pb::TableResult::Row& r : t.row()) {
    std::vector<std::string> cells;
    for (const pb::TableResult::Cell& c : r.cell()) cells.push_back(c.text());
    out += line(cells);
  }
  return out;
}

}  // namespace

std::string config_file_name(const host::lspci_device& d) {
  return fmt::format("{:04x}_{:02x}_{:02x}_{}.txt", d.domain, d.bus, d.dev, d.fn);
}

bool parse_config_dumps(const std::string& text, config_dumps& out) {
  if (text == "auto")
    out = config_dumps::automatic;
  else if (text == "all")
    out = config_dumps::all;
  else if (text == "pf")
    out = config_dumps::pf;
  else if (text == "none")
    out = config_dumps::none;
  else
    return false;
  return true;
}

std::function<bool(const std::string& bdf)> config_dump_filter(host::host_system& host, config_dumps policy) {
  const size_t functions = host.pci().device_count();
  if (policy == config_dumps::automatic)
    policy = functions <= EVERY_FUNCTION_MAX ? config_dumps::all : config_dumps::pf;
  if (policy == config_dumps::all) return {};
  if (policy == config_dumps::none) return [](const std::string&) { return false; };
  host::pci_core& pci = host.pci();
  return [&pci](const std::string& bdf) {
    const host::pci_dev* d = pci.find(bdf);
    return d && !d->is_virtfn;
  };
}

bool prepare_output_dir(const std::string& dir, bool force) {
  const fs::path out(dir);
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(out, ec);
  if (fs::exists(st) && !fs::is_directory(fs::status(out, ec)))
    throw output_error(fmt::format("--out {}: a file is in the way (the output is a folder)", dir));
  if (fs::is_directory(fs::status(out, ec))) {
    std::vector<fs::path> entries;
    for (fs::directory_iterator it(out, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(it->path());
    if (ec) throw output_error(fmt::format("--out {}: cannot read the folder: {}", dir, ec.message()));
    const bool earlier_run = fs::exists(out / "results.json", ec) || fs::exists(out / "summary.txt", ec);
    if (!entries.empty() && !earlier_run && !force)
      throw output_error(fmt::format(
          "--out {}: the folder is not empty and holds no earlier run (no results.json); --force empties it", dir));
    for (const fs::path& p : entries) {
      fs::remove_all(p, ec);
      if (ec) throw output_error(fmt::format("--out {}: cannot remove {}: {}", dir, p.string(), ec.message()));
    }
  }
  // Only the folder itself: a run refused for bad input (exit 2) then leaves it empty,
  // which the next run accepts (write_outputs() makes config/).
  const bool made = !fs::exists(out, ec);
  fs::create_directories(out, ec);
  if (ec) throw output_error(fmt::format("--out {}: cannot create the folder: {}", dir, ec.message()));
  return made;
}

void write_outputs(const std::string& dir, const loaded_scenario& s, uint64_t seed, const run_report& report,
                   kit::sim_env& env, world& w) {
  const fs::path out(dir);
  std::error_code ec;
  // The first machine's files at the top, as for a machine alone; the others' in a
  // folder each.
  for (const world_machine& m : w.machines()) {
    fs::create_directories(m.prefix.empty() ? out / "config" : out / m.name / "config", ec);
    if (ec) throw output_error(fmt::format("--out {}: cannot create the folder: {}", dir, ec.message()));
  }
  host::host_system& host = *w.machine(0).host;
  const bool is_world = w.is_world();

  // results.json
  pb::RunResults results;
  results.set_scenario(to_valid_utf8(s.scenario.name()));
  results.set_seed(seed);
  results.set_passed(report.exit_code == 0);
  results.set_expectations(report.expectations);
  results.set_failures(report.failures);
  results.set_sim_time(kit::format_sim_time(sc_core::sc_time_stamp()));
  for (size_t i = 0; i < report.steps.size(); ++i) {
    const step_outcome& st = report.steps[i];
    size_t failure = 0;
    for (const auto& [what, passed] : st.checks) {
      pb::ExpectationResult* e = results.add_expectation();
      e->set_step(static_cast<uint32_t>(i + 1));
      e->set_shell(to_valid_utf8(st.shell));
      e->set_check(to_valid_utf8(what));
      e->set_passed(passed);
      e->set_at(st.at);
      if (!passed && failure < st.failures.size()) e->set_actual(to_valid_utf8(st.failures[failure++]));
    }
  }
  for (host::pci_dev* d : host.pci().devices()) {
    pb::FunctionInfo* f = results.add_function();
    f->set_bdf(d->bdf());
    f->set_id(fmt::format("{:04x}:{:04x}", d->vendor, d->device));
    f->set_virtfn(d->is_virtfn);
    if (d->physfn) f->set_physfn(d->physfn->bdf());
    f->set_driver(d->driver);
    f->set_netdev(to_valid_utf8(d->netdev));
  }
  // Whatever the models declared (models/kit/stats.h), in the registry's order.
  env.stats().visit([&](const kit::stat& st) {
    if (st.nozero() && st.zero()) return;
    if (const auto* d = dynamic_cast<const kit::distribution*>(&st)) {
      pb::Distribution* out = results.add_distribution();
      out->set_name(st.path());
      out->set_unit(st.unit());
      out->set_description(st.description());
      out->set_count(d->count());
      out->set_mean(d->mean());
      out->set_min(d->min());
      out->set_p50(d->percentile(50));
      out->set_p90(d->percentile(90));
      out->set_p99(d->percentile(99));
      out->set_max(d->max());
      out->set_bucket_scale(d->scale());
      for (const auto& b : d->buckets()) {
        pb::Distribution::Bucket* ob = out->add_bucket();
        ob->set_lower(b.lower);
        ob->set_upper(b.upper);
        ob->set_count(b.count);
      }
      return;
    }
    pb::Metric* m = results.add_metric();
    m->set_name(st.path());
    m->set_value(st.value());
    m->set_unit(st.unit());
    m->set_description(st.description());
  });
  if (is_world) *results.mutable_world() = world_results(w);
  for (const run_report::capture& c : report.captured) {
    pb::Captured* out_c = results.add_captured();
    out_c->set_name(c.name);
    out_c->set_value(c.value);
    out_c->set_step(c.step);
  }
  for (const pb::Table& t : s.scenario.table()) *results.add_table() = fill_table(t, report);
  for (const run_report::variable& v : report.variables) {
    pb::Variable* out_v = results.add_variable();
    out_v->set_name(v.name);
    out_v->set_value(v.value);
    out_v->set_overridden(v.overridden);
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions jopt;
  jopt.add_whitespace = true;
  jopt.always_print_primitive_fields = true;
  jopt.preserve_proto_field_names = true;
  // Every string above is valid UTF-8 (what a command printed may not be), so the
  // printer cannot refuse; if it ever does, say so rather than write half a file.
  if (!google::protobuf::util::MessageToJsonString(results, &json, jopt).ok())
    throw output_error("results.json: the results cannot be printed as JSON");
  write_file(out / "results.json", json);

  // summary.txt: what a person reads first.
  std::string sum = fmt::format("scenario: {}\n", s.scenario.name());
  if (!s.scenario.description().empty()) sum += indent(s.scenario.description(), "  ");
  if (w.machines().size() == 1) {
    sum += fmt::format("seed: {}\nkernel command line: {}\nsimulated time: {} s\n", seed,
                       s.platform(0).kernel_cmdline(), results.sim_time());
  } else {
    sum += fmt::format("seed: {}\nmachines:\n", seed);
    for (size_t i = 0; i < w.machines().size(); ++i)
      sum += fmt::format("  {}: kernel command line: {}\n", w.machine(i).name, s.platform(i).kernel_cmdline());
    sum += fmt::format("simulated time: {} s\n", results.sim_time());
  }
  // Functions left without a config dump, and how to get theirs (nothing is said
  // when every function has one).
  for (const world_machine& m : w.machines()) {
    const size_t all = m.host->pci().device_count(), dumped = m.final_view.size();
    if (dumped == all) continue;
    sum += fmt::format("config dumps{}: {} of {} functions{} (--config-dumps all writes every function's)\n",
                       m.prefix.empty() ? "" : " of " + m.name, dumped, all,
                       dumped ? ", PFs and bridges: VFs left out" : "");
  }
  // A trace that hit its bound says so (nothing is said of a trace that fit).
  if (env.trace_events_dropped())
    sum += fmt::format(
        "trace: {} events recorded, {} more not (trace.max_events {}; --set trace.max_events=N "
        "keeps more, trace.sample_every=N traces one transfer in N)\n",
        env.trace_events(), env.trace_events_dropped(), env.trace_max_events());
  sum += "\n";
  sum += "steps:\n";
  for (size_t i = 0; i < report.steps.size(); ++i) {
    const step_outcome& st = report.steps[i];
    sum += fmt::format("  {:>3} [{}] {}$ {}   (status {})\n", i + 1, st.at, st.machine.empty() ? "" : st.machine + ": ",
                       st.shell, st.status);
    if (!st.note.empty()) sum += wrap(st.note, "        # ", 90);
    for (const auto& [what, passed] : st.checks) sum += fmt::format("        {} {}\n", passed ? "ok  " : "FAIL", what);
    for (const auto& f : st.failures) sum += fmt::format("             -> {}\n", f);
  }
  for (const pb::TableResult& t : results.table()) sum += table_text(t);
  if (results.variable_size()) {
    sum += "\nvariables:\n";
    for (const pb::Variable& v : results.variable())
      sum += fmt::format("  {:<40} {}{}\n", v.name(), v.value(), v.overridden() ? "   (--set)" : "");
  }
  if (results.captured_size()) {
    sum += "\ncaptured:\n";
    for (const pb::Captured& c : results.captured())
      sum += c.step() ? fmt::format("  {:<40} {:>16.10g}   (step {})\n", c.name(), c.value(), c.step())
                      : fmt::format("  {:<40} {:>16.10g}   (variable)\n", c.name(), c.value());
  }
  sum += fmt::format("\nexpectations: {} checked, {} failed: {}\n\nmetrics:\n", report.expectations, report.failures,
                     report.exit_code == 0 ? "PASS" : "FAIL");
  for (const pb::Metric& m : results.metric()) sum += fmt::format("  {:<40} {:>16.10g} {}\n", m.name(), m.value(), m.unit());
  if (results.distribution_size()) {
    sum += fmt::format("\ndistributions:\n  {:<40} {:>10} {:>11} {:>11} {:>11} {:>11}\n", "", "count", "mean", "p50",
                       "p99", "max");
    for (const pb::Distribution& d : results.distribution())
      sum += fmt::format("  {:<40} {:>10} {:>11.4g} {:>11.4g} {:>11.4g} {:>11.4g} {}\n", d.name(), d.count(), d.mean(),
                         d.p50(), d.p99(), d.max(), d.unit());
  }
  if (is_world) sum += world_summary(results.world());
  auto functions = [&](const std::string& title, const google::protobuf::RepeatedPtrField<pb::FunctionInfo>& list) {
    sum += title;
    auto line = [](const pb::FunctionInfo& f) {
      return fmt::format("  {}  {}  {:<8} {}{}\n", f.bdf(), f.id(), f.driver().empty() ? "-" : f.driver(),
                         f.netdev().empty() ? "-" : f.netdev(), f.virtfn() ? "  (VF of " + f.physfn() + ")" : "");
    };
    if (static_cast<size_t>(list.size()) <= EVERY_FUNCTION_MAX) {
      for (const pb::FunctionInfo& f : list) sum += line(f);
      return;
    }
    // A rack: each PF's VFs on one line under it.
    struct vf_group {
      size_t count = 0;
      std::string first, last, id;
      std::map<std::string, size_t> drivers;
    };
    std::map<std::string, vf_group> groups;
    for (const pb::FunctionInfo& f : list) {
      if (!f.virtfn()) continue;
      vf_group& g = groups[f.physfn()];
      if (!g.count++) g.first = f.bdf(), g.id = f.id();
      g.last = f.bdf();
      ++g.drivers[f.driver().empty() ? "-" : f.driver()];
    }
    sum += fmt::format("  ({} functions: each PF's VFs on one line; results.json lists every one)\n", list.size());
    for (const pb::FunctionInfo& f : list) {
      if (f.virtfn() && groups.count(f.physfn())) continue;
      sum += line(f);
      auto g = groups.find(f.bdf());
      if (g == groups.end()) continue;
      std::string drivers;
      for (const auto& [name, n] : g->second.drivers)
        drivers += fmt::format("{}{} {}", drivers.empty() ? "" : ", ", n, name == "-" ? "unbound" : name);
      sum += fmt::format("    + {} VFs {} .. {}  {}  {}\n", g->second.count, g->second.first, g->second.last,
                         g->second.id, drivers);
    }
  };
  if (w.machines().size() == 1) {
    functions("\nPCI functions:\n", results.function());
  } else {
    for (const pb::World::Machine& m : results.world().machine())
      functions(fmt::format("\nPCI functions of {}:\n", m.name()), m.function());
  }
  write_file(out / "summary.txt", sum);

  // transcript.txt: every step with its full output.
  std::string tr;
  for (const step_outcome& st : report.steps)
    tr += fmt::format("[{}] {}$ {}\n{}", st.at, st.machine.empty() ? "" : st.machine + ": ", st.shell, st.output);
  write_file(out / "transcript.txt", tr);

  std::string log;
  for (const auto& l : env.log_lines()) log += l + "\n";
  write_file(out / "log.txt", log);
  for (world_machine& m : w.machines()) {
    const fs::path folder = m.prefix.empty() ? out : out / m.name;
    std::string dmesg;
    for (const auto& l : m.host->dmesg().lines()) dmesg += l + "\n";
    write_file(folder / "dmesg.txt", dmesg);
    for (const host::lspci_device& d : m.final_view)
      write_file(folder / "config" / config_file_name(d), host::lspci_dump(d));
  }
  // The time series (models/kit/series.h): series.json, and counter tracks in the trace.
  const kit::series_data& series = env.series().result();
  write_file(out / "series.json", kit::series_json(series));
  write_file(out / "trace.json", env.trace_json(kit::series_trace_events(series)));
  write_file(out / "topology.dot", is_world ? world_topology(w) : viz::topology_dot(topology(host)));
}

}  // namespace iovsim::scen
