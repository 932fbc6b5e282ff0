#include "scenarios/engine.h"

#include <editline/readline.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <systemc>

#include "drivers-sim/host.h"
#include "models/kit/processes.h"
#include "models/kit/sim_env.h"
#include "platform/platform.h"
#include "scenarios/outputs.h"
#include "scenarios/world.h"

namespace iovsim::scen {

namespace {

// Shows text on one line: newlines and tabs as \n and \t.
std::string one_line(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else out += c;
  }
  return out;
}

std::string trim_newline(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// One side of a `holds` relation: "name", "2.5 * name" or "100".
bool side_value(const std::string& text, const std::map<std::string, double>& captured, double& v, std::string& err) {
  std::smatch m;
  static const std::regex scaled(R"(^\s*(?:([0-9.]+)\s*\*\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*$)");
  static const std::regex number(R"(^\s*([0-9.]+)\s*$)");
  if (std::regex_match(text, m, number)) {
    v = std::stod(m[1]);
    return true;
  }
  if (!std::regex_match(text, m, scaled)) {
    err = fmt::format("cannot read \"{}\"", text);
    return false;
  }
  auto it = captured.find(m[2]);
  if (it == captured.end()) {
    err = fmt::format("nothing captured as \"{}\"", std::string(m[2]));
    return false;
  }
  v = (m[1].matched ? std::stod(m[1]) : 1.0) * it->second;
  return true;
}

// Evaluates "lhs op rhs" over captured numbers.
bool holds(const std::string& relation, const std::map<std::string, double>& captured, std::string& detail) {
  static const std::regex rel(R"(^(.*?)(<=|>=|<|>|==)(.*)$)");
  std::smatch m;
  if (!std::regex_match(relation, m, rel)) {
    detail = "not a relation (use <, <=, >, >=, ==)";
    return false;
  }
  double a = 0, b = 0;
  if (!side_value(m[1], captured, a, detail) || !side_value(m[3], captured, b, detail)) return false;
  const std::string op = m[2];
  const bool ok = op == "<" ? a < b : op == "<=" ? a <= b : op == ">" ? a > b : op == ">=" ? a >= b : a == b;
  detail = fmt::format("{} {} {} is {}", fmt::format("{:g}", a), op, fmt::format("{:g}", b), ok ? "true" : "false");
  return ok;
}

// Checks one expectation against a step's result; returns its description.
std::string check(const pb::Expect& e, const host::cmd_result& r, const std::string& output, host::host_system& host,
                  const std::map<std::string, double>& captured, bool& passed, std::string& failure) {
  passed = false;
  switch (e.what_case()) {
    case pb::Expect::kOutputContains:
      passed = output.find(e.output_contains()) != std::string::npos;
      if (!passed) failure = fmt::format("output does not contain \"{}\"", one_line(e.output_contains()));
      return fmt::format("output contains \"{}\"", one_line(e.output_contains()));
    case pb::Expect::kOutputNotContains:
      passed = output.find(e.output_not_contains()) == std::string::npos;
      if (!passed) failure = fmt::format("output contains \"{}\"", e.output_not_contains());
      return fmt::format("output does not contain \"{}\"", one_line(e.output_not_contains()));
    case pb::Expect::kOutputMatches:
      passed = std::regex_search(output, std::regex(e.output_matches(), std::regex::ECMAScript));
      if (!passed) failure = fmt::format("output does not match /{}/", e.output_matches());
      return fmt::format("output matches /{}/", e.output_matches());
    case pb::Expect::kOutputEquals:
      passed = output == e.output_equals();
      if (!passed)
        failure = fmt::format("output differs: expected \"{}\", got \"{}\"", one_line(e.output_equals()), one_line(output));
      return "output equals the expected text";
    case pb::Expect::kFailsWith:
      passed = r.status != 0 && r.errno_name == e.fails_with();
      if (!passed)
        failure = fmt::format("expected failure with {}, got status {} errno {}", e.fails_with(), r.status,
                              r.errno_name.empty() ? "none" : r.errno_name);
      return fmt::format("fails with {}", e.fails_with());
    case pb::Expect::kFileEquals: {
      const host::fs_result f = host.files().read(e.file_equals().path());
      const std::string got = f.error ? fmt::format("<{}>", host::errno_name(f.error)) : trim_newline(f.data);
      passed = f.error == 0 && got == e.file_equals().value();
      if (!passed)
        failure = fmt::format("{}: expected \"{}\", got \"{}\"", e.file_equals().path(), one_line(e.file_equals().value()),
                              one_line(got));
      return fmt::format("{} reads \"{}\"", e.file_equals().path(), one_line(e.file_equals().value()));
    }
    case pb::Expect::kExitStatus:
      passed = r.status == e.exit_status();
      if (!passed) failure = fmt::format("exit status {}, expected {}", r.status, e.exit_status());
      return fmt::format("exit status {}", e.exit_status());
    case pb::Expect::kOutputLines: {
      unsigned lines = 0;
      for (char c : output) lines += c == '\n';
      if (!output.empty() && output.back() != '\n') ++lines;
      passed = lines == e.output_lines();
      if (!passed) failure = fmt::format("{} output lines, expected {}", lines, e.output_lines());
      return fmt::format("{} output lines", e.output_lines());
    }
    case pb::Expect::kHolds: {
      std::string detail;
      passed = holds(e.holds(), captured, detail);
      if (!passed) failure = fmt::format("{}: {}", e.holds(), detail);
      return fmt::format("{} ({})", e.holds(), detail);
    }
    default:
      failure = "empty expectation";
      return "empty expectation";
  }
}

// ---- Line editing for `iovsim shell` on a terminal ---------------------------------
// Debian's libedit (BSD editline) through its readline interface: arrow keys, history
// of this session (kept in memory only: nothing of the real machine comes in) and
// completion from the simulated host, never from the real file system.

const char* const CONTINUATION_PROMPT = "> ";  // bash's PS2

// The shell prompt of a machine: root@iovsim:~# for a scenario's only machine.
std::string prompt_of(const std::string& machine) { return fmt::format("root@{}:~# ", machine); }

// readline's callbacks take no context: the host whose shell is being typed at, and
// the matches of the completion under way.
host::host_system* g_completing_host = nullptr;
std::vector<std::string> g_matches;

char* next_match(const char*, int state) {
  static size_t next = 0;
  if (state == 0) next = 0;
  return next < g_matches.size() ? strdup(g_matches[next++].c_str()) : nullptr;
}

char* no_match(const char*, int) { return nullptr; }

char** complete(const char* text, int start, int end) {
  rl_attempted_completion_over = 1;  // no fallback to the real machine's files
  g_matches = g_completing_host->sh().completions(rl_line_buffer, static_cast<size_t>(start), static_cast<size_t>(end));
  // A directory ends with its '/', ready for the next name: no space after it.
  rl_completion_append_character = g_matches.size() == 1 && g_matches[0].back() == '/' ? '\0' : ' ';
  return g_matches.empty() ? nullptr : rl_completion_matches(text, next_match);
}

// One command from the terminal, with bash's continuation lines ("> ") while it is
// not whole; false at end of input.
bool read_command(const std::string& first_prompt, std::string& command) {
  command.clear();
  for (const char* prompt = first_prompt.c_str();; prompt = CONTINUATION_PROMPT) {
    char* raw = readline(prompt);
    if (!raw) return !command.empty();
    const std::string line = raw;
    std::free(raw);
    if (line.find_first_not_of(" \t") != std::string::npos) add_history(line.c_str());
    command += (command.empty() ? "" : "\n") + line;
    if (host::shell::is_complete(command)) return true;
  }
}

// The first machine's software thread: boot, wait for the other machines to boot,
// then the timeline (or an interactive shell), each step on its machine's shell.
class scenario_runner : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(scenario_runner);
  scenario_runner(sc_core::sc_module_name name, const loaded_scenario& s, world& w, run_report& report,
                  std::istream* in, std::ostream* out, bool prompt, config_dumps dumps)
      : sc_module(name), m_s(s), m_world(w), m_report(report), m_in(in), m_out(out), m_prompt(prompt), m_dumps(dumps) {
    // A variable that is a number is a captured number from the start (step 0).
    for (const run_report::variable& v : report.variables) m_environment.emplace_back(v.name, v.value);
    for (const run_report::variable& v : report.variables)
      if (const std::optional<double> n = variable_number(v.value)) {
        m_captured[v.name] = *n;
        report.captured.push_back({v.name, *n, 0});
      }
    SC_THREAD(run);
    // The shell nests (shell::MAX_NESTING levels, a few KiB each) and libedit runs
    // here too: more than SystemC's default 256 KiB.
    set_stack_size(STACK_BYTES);
  }

  static constexpr std::size_t STACK_BYTES = 1 << 20;

 private:
  void run() {
    m_world.machine(0).host->boot();
    m_world.wait_all_booted();
    if (m_in) interactive();
    else timeline();
    // What the config dumps show (a run that writes no outputs needs none).
    for (world_machine& m : m_world.machines()) m.final_view = m.host->lspci_view(config_dump_filter(*m.host, m_dumps));
    // Threads the host spawned and left waiting (interrupt threads, timers) go now,
    // or they and their stacks would outlive the run (kit/processes.h).
    kit::end_spawned_processes();
    sc_core::sc_stop();
  }

  void timeline() {
    auto& env = kit::sim_env::current();
    for (int i = 0; i < m_s.scenario.step_size(); ++i) {
      const pb::Step& step = m_s.scenario.step(i);
      const sc_core::sc_time at(static_cast<double>(m_s.step_time_ps[static_cast<size_t>(i)]), sc_core::SC_PS);
      if (at > sc_core::sc_time_stamp()) wait(at - sc_core::sc_time_stamp());
      // A scenario built in code (the fuzz targets, tests) may leave the machines out: the first.
      const size_t machine =
          static_cast<size_t>(i) < m_s.step_machine.size() ? m_s.step_machine[static_cast<size_t>(i)] : 0;
      world_machine& m = m_world.machine(machine);
      step_outcome o;
      o.at = kit::format_sim_time(sc_core::sc_time_stamp());
      if (m_world.machines().size() > 1) o.machine = m.name;
      // A guest's step runs in the guest's shell ("a/vm1" in the outputs).
      host::host_system* target = &with_variables(*m.host);
      std::string shell_name = m.prefix + "host.shell";
      if (!step.guest().empty()) {
        o.machine = (m_world.machines().size() > 1 ? m.name + "/" : "") + step.guest();
        target = guest_of(m, step.guest());
        if (target) with_variables(*target);
        shell_name = m.prefix + "guest." + step.guest() + ".host.shell";
      }
      o.shell = step.shell();
      o.note = step.note();
      const sc_core::sc_time start = sc_core::sc_time_stamp();
      const host::cmd_result r =
          target ? target->run(step.shell())
                 : host::cmd_result{1, "", fmt::format("guest {} is not running (vm start {})\n", step.guest(),
                                                       step.guest()),
                                    "EINVAL"};
      if (!target) target = m.host.get();
      env.trace_complete(shell_name, step.shell(), "shell", start, sc_core::sc_time_stamp() - start);
      env.log("host", shell_name, fmt::format("$ {} (status {})", step.shell(), r.status));
      o.output = r.out + r.err;
      o.status = r.status;
      for (const pb::Capture& c : step.capture()) {
        std::smatch match;
        if (std::regex_search(o.output, match, std::regex(c.regex())) && match.size() > 1) {
          try {
            const double v = std::stod(match[1]);
            m_captured[c.name()] = v;
            auto it = std::find_if(m_report.captured.begin(), m_report.captured.end(),
                                   [&c](const run_report::capture& x) { return x.name == c.name(); });
            if (it == m_report.captured.end()) it = m_report.captured.insert(m_report.captured.end(), {c.name()});
            it->value = v;
            it->step = static_cast<unsigned>(m_report.steps.size() + 1);
          } catch (const std::exception&) {
          }
        }
      }
      for (const pb::Expect& e : step.expect()) {
        bool passed = false;
        std::string failure;
        const std::string what = check(e, r, o.output, *target, m_captured, passed, failure);
        o.checks.emplace_back(what, passed);
        ++m_report.expectations;
        if (!passed) {
          ++m_report.failures;
          o.failures.push_back(failure);
        }
      }
      m_report.steps.push_back(std::move(o));
    }
  }

  // `machine` and `machine NAME` of the interactive shell (several machines): true
  // when the line was one of them.
  bool machine_command(const std::string& line) {
    std::istringstream words(line);
    std::string verb, name, extra;
    words >> verb >> name >> extra;
    if (m_world.machines().size() < 2 || verb != "machine") return false;
    if (!extra.empty()) {
      *m_out << "usage: machine [NAME]\n" << std::flush;
      return true;
    }
    if (name.empty()) {
      for (size_t i = 0; i < m_world.machines().size(); ++i)
        *m_out << (i == m_current ? "* " : "  ") << m_world.machine(i).name << "\n";
      *m_out << std::flush;
      return true;
    }
    for (size_t i = 0; i < m_world.machines().size(); ++i)
      if (m_world.machine(i).name == name) {
        m_current = i;
        m_guest.clear();
        if (g_completing_host) g_completing_host = m_world.machine(i).host.get();  // on a terminal
        return true;
      }
    *m_out << fmt::format("machine: no machine \"{}\" (`machine` lists them)\n", name) << std::flush;
    return true;
  }

  // A running guest's software, or nullptr.
  static host::host_system* guest_of(world_machine& m, const std::string& name) {
    host::vm_manager* vms = m.host->vms();
    return vms ? dynamic_cast<host::host_system*>(vms->guest(name)) : nullptr;
  }

  // `vm console NAME` alone, interactively: the shell enters the guest until `exit`.
  bool console_command(const std::string& line) {
    std::istringstream words(line);
    std::string a, b, name, extra;
    words >> a >> b >> name >> extra;
    if (a != "vm" || b != "console" || name.empty() || !extra.empty() || !m_guest.empty()) return false;
    if (!guest_of(m_world.machine(m_current), name)) {
      *m_out << fmt::format("vm console: {} is not running\n", name) << std::flush;
      return true;
    }
    m_guest = name;
    *m_out << fmt::format("Connected to {} (`exit` comes back to {})\n", name, m_world.machine(m_current).name)
           << std::flush;
    if (g_completing_host) g_completing_host = &current();
    return true;
  }
  // `exit` in a guest: back to its machine. False when not in a guest.
  bool leave_guest() {
    if (m_guest.empty()) return false;
    m_guest.clear();
    if (g_completing_host) g_completing_host = &current();
    return true;
  }

  host::host_system& current() {
    world_machine& m = m_world.machine(m_current);
    if (!m_guest.empty()) {
      if (host::host_system* g = guest_of(m, m_guest)) return with_variables(*g);
      m_guest.clear();   // the guest was stopped from inside or went away
    }
    return with_variables(*m.host);
  }

  // A shell gets the scenario's variables before its first line (a guest's when it
  // first runs one: it has no shell before `vm start`, and a new one after a restart).
  host::host_system& with_variables(host::host_system& h) {
    h.sh().login_environment(m_environment);
    return h;
  }
  std::string prompt() { return prompt_of(m_guest.empty() ? m_world.machine(m_current).name : m_guest); }

  void interactive() {
    // A terminal gets line editing; scripted input is read as it always was.
    if (m_prompt && m_in == &std::cin && isatty(STDIN_FILENO)) {
      interactive_terminal();
      return;
    }
    std::string line;
    while (true) {
      if (m_prompt) *m_out << prompt() << std::flush;
      if (!std::getline(*m_in, line)) break;
      if ((line == "exit" || line == "logout") && leave_guest()) continue;
      if (line == "exit" || line == "logout") break;
      if (console_command(line) || machine_command(line)) continue;
      const host::cmd_result r = current().run(line);
      *m_out << r.out << r.err << std::flush;
    }
  }

  void interactive_terminal() {
    rl_readline_name = "iovsim";
    rl_attempted_completion_function = complete;
    rl_completion_entry_function = no_match;
    using_history();
    stifle_history(1000);
    g_completing_host = &current();
    std::string command;
    while (read_command(prompt(), command)) {
      if ((command == "exit" || command == "logout") && leave_guest()) continue;
      if (command == "exit" || command == "logout") break;
      if (console_command(command) || machine_command(command)) continue;
      const host::cmd_result r = current().run(command);
      *m_out << r.out << r.err << std::flush;
    }
    if (command.empty()) *m_out << "\nlogout\n";  // Ctrl-D, as a login bash says it
    *m_out << std::flush;
    clear_history();
    g_completing_host = nullptr;
  }

  const loaded_scenario& m_s;
  world& m_world;
  size_t m_current = 0;  // the machine the interactive shell is on
  std::string m_guest;   // and the guest it entered ("" none)
  std::map<std::string, double> m_captured;
  std::vector<std::pair<std::string, std::string>> m_environment;  // the variables, name=value
  run_report& m_report;
  std::istream* m_in;
  std::ostream* m_out;
  bool m_prompt;
  config_dumps m_dumps;
};

// sc_start(), or with a progress hook the same run in slices of simulated time with a
// call between them. No process or event is added: SystemC's timed-event queue is a
// heap, and one more timed notification reorders events due at the same time (an
// observer process did: log lines of two machines swapped). A slice ends without
// advancing time past the last event (SC_EXIT_ON_STARVATION) and the next one
// resumes the same delta cycle, so the run is the same.
void run_simulation(const run_options& opt) {
  if (!opt.progress || !opt.progress_every_ps) {
    sc_core::sc_start();
    return;
  }
  const sc_core::sc_time every(static_cast<double>(opt.progress_every_ps), sc_core::SC_PS);
  sc_core::sc_time slice = every;  // before the first sc_start nothing is pending yet
  for (;;) {
    sc_core::sc_start(slice, sc_core::SC_EXIT_ON_STARVATION);
    if (sc_core::sc_get_status() == sc_core::SC_STOPPED || !sc_core::sc_pending_activity()) return;
    opt.progress(run_progress{sc_core::sc_time_stamp().to_seconds(), sc_core::sc_delta_count(), false});
    // An idle stretch is one slice, not thousands of empty ones.
    slice = std::max(every, sc_core::sc_time_to_pending_activity());
  }
}

run_report simulate(const loaded_scenario& s, const run_options& opt, std::istream* in, std::ostream* out, bool prompt) {
  run_report report;
  kit::fresh_systemc_context();
  const uint64_t seed = opt.seed_given ? opt.seed : s.scenario.seed();
  kit::sim_env env(seed);
  env.set_verbose(opt.verbose);
  env.set_log_categories(opt.log_categories);
  env.set_trace_categories(opt.trace_categories);
  kit::stat_group sim_stats("sim", "the simulation");
  kit::formula sim_time(sim_stats, "time", "s", "simulated time at the end of the run",
                        [] { return sc_core::sc_time_stamp().to_seconds(); });
  // Scenario parameters first; the command line's --set wins. A --set naming a
  // scenario variable sets the variable instead.
  for (const pb::Var& v : s.scenario.var()) report.variables.push_back({v.name(), v.value(), false});
  for (const loaded_scenario::host_param& p : s.host_params) env.params().set_override(p.name, p.value);
  for (const pb::Param& p : s.scenario.param()) env.params().set_override(p.name(), p.value());
  for (const auto& [k, v] : opt.sets) {
    auto var = std::find_if(report.variables.begin(), report.variables.end(),
                            [&k = k](const run_report::variable& x) { return x.name == k; });
    if (var == report.variables.end()) {
      env.params().set_override(k, v);
    } else {
      var->value = v;
      var->overridden = true;
    }
  }
  try {
    const kit::trace_limits trace_limits;    // trace.max_events, trace.sample_every
    const kit::series_params series_params;  // series.interval, series.max_samples
    world w(s, seed, opt.dry_run ? "" : opt.out_dir);
    scenario_runner runner("host", s, w, report, in, out, prompt,
                           opt.out_dir.empty() ? config_dumps::none : opt.config_dumps);
    // Samples the models' tracks until the runner stops the run (series.json).
    kit::series_sampler series(series_params);
    for (const std::string& name : env.params().unused_overrides()) {
      int line = 0, col = 0;
      for (const loaded_scenario::host_param& p : s.host_params)
        if (p.name == name) {
          report.exit_code = 2;
          report.error =
              one_line_text(fmt::format("{}: host profile \"{}\": unknown parameter \"{}\"", s.path, p.host, name));
          return report;
        }
      for (int i = 0; i < s.scenario.param_size(); ++i)
        if (s.scenario.param(i).name() == name && static_cast<size_t>(i) < s.param_loc.size()) {
          line = s.param_loc[static_cast<size_t>(i)].line;
          col = s.param_loc[static_cast<size_t>(i)].col;
        }
      report.exit_code = 2;
      // Names come from the input: shown on one line whatever they hold.
      report.error = one_line_text(line ? fmt::format("{}:{}:{}: unknown parameter \"{}\"", s.path, line, col, name)
                                        : fmt::format("--set: unknown parameter \"{}\" (not a scenario variable "
                                                      "either; iovsim list --params shows the parameters)",
                                                      name));
      return report;
    }
    if (opt.dry_run) return report;
    if (!opt.vcd.empty()) {
      const std::string vcd = opt.vcd;  // SystemC's writer adds ".vcd"
      series.trace_vcd(vcd.size() > 4 && vcd.compare(vcd.size() - 4, 4, ".vcd") == 0 ? vcd.substr(0, vcd.size() - 4)
                                                                                     : vcd);
    }
    run_simulation(opt);
    series.finish();
    if (opt.progress)
      opt.progress(run_progress{sc_core::sc_time_stamp().to_seconds(), sc_core::sc_delta_count(), true});
    report.exit_code = report.failures ? 1 : 0;
    w.finish();
    if (!opt.out_dir.empty()) write_outputs(opt.out_dir, s, seed, report, env, w);
  } catch (const std::invalid_argument& e) {
    // A model refused a parameter value: point at what set it, the command line's
    // --set (which wins) or the scenario line.
    report.exit_code = 2;
    report.error = one_line_text(fmt::format("{}: {}", s.path, e.what()));
    const std::string what = e.what();
    auto mentions = [&what](const std::string& name) {
      const size_t at = what.find(name);
      if (at == std::string::npos) return false;
      if (at + name.size() == what.size()) return true;
      const char next = what[at + name.size()];
      return !(std::isalnum(static_cast<unsigned char>(next)) || next == '_' || next == '.');
    };
    for (const auto& [name, value] : opt.sets)
      if (mentions(name)) {
        report.error = one_line_text(fmt::format("--set {}={}: {}", name, value, what));
        return report;
      }
    for (int i = 0; i < s.scenario.param_size() && static_cast<size_t>(i) < s.param_loc.size(); ++i)
      if (mentions(s.scenario.param(i).name())) {
        const source_location& loc = s.param_loc[static_cast<size_t>(i)];
        report.error = one_line_text(fmt::format("{}:{}:{}: {}", s.path, loc.line, loc.col, what));
        break;
      }
  }
  return report;
}

}  // namespace

std::vector<std::string> describe_params() {
  // Parameters are declared by the models that use them: build a small machine
  // with every kind of model and ask.
  kit::fresh_systemc_context();
  kit::sim_env env(0);
  const kit::trace_limits trace_limits;
  const kit::series_params series_params;
  pb::Platform spec;
  pb::RootPort* rp = spec.add_root_port();
  rp->set_name("rp");
  rp->set_device(1);
  pb::Endpoint* ep = spec.add_endpoint();
  ep->set_name("nic");
  ep->set_profile("x540");
  ep->set_attach("rp");
  pb::RootPort* rp2 = spec.add_root_port();
  rp2->set_name("rp2");
  rp2->set_device(2);
  pb::Endpoint* dma = spec.add_endpoint();
  dma->set_name("dma0");
  dma->set_profile("iovsim_dma_ats");
  dma->set_attach("rp2");
  platform::machine machine(spec, builtin_profiles());
  host::host_system host(machine, 0);
  // A wire and a traffic port as a world has them (net.wire0, net.gen0).
  struct net_scope : sc_core::sc_module {
    explicit net_scope(sc_core::sc_module_name n) : sc_module(n), cable("wire0", 10000), port("gen0", cable, 0) {}
    wire::wire cable;
    wire::traffic_port port;
  } net("net");
  std::vector<std::string> out;
  out.push_back("Set one with --set NAME=VALUE (or a scenario's param): by its name for that instance, or with");
  out.push_back("the kind in place of the instance for every one (dmar0.iotlb_entries, iommu.iotlb_entries).");
  out.push_back("Times take a unit: 100ns, 2.5us, 1ms.");
  out.push_back("");
  out.push_back(fmt::format("{:<38} {:<9} {:>11}  {:<9} {}", "name", "kind", "default", "unit", "description"));
  for (const auto& [name, p] : env.params().declared())
    out.push_back(fmt::format("{:<38} {:<9} {:>11}  {:<9} {}", name, p.kind, p.default_text,
                              p.unit == "s" ? "" : p.unit, p.doc));
  return out;
}

run_report run_scenario(const loaded_scenario& scenario, const run_options& options) {
  return simulate(scenario, options, nullptr, nullptr, false);
}

int run_shell(const loaded_scenario& scenario, const run_options& options, std::istream& in, std::ostream& out,
              bool prompt) {
  const run_report r = simulate(scenario, options, &in, &out, prompt);
  if (r.exit_code == 2) {
    std::cerr << r.error << '\n';
    return 2;
  }
  return 0;
}

}  // namespace iovsim::scen
