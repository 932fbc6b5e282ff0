#include "tests/fuzz/fuzz_common.h"

#include <exception>
#include <utility>

#include "models/kit/processes.h"

#ifndef IOVSIM_SOURCE_DIR
#define IOVSIM_SOURCE_DIR "."
#endif

// libsystemc refers to sc_main; libFuzzer's main runs the targets.
int sc_main(int, char**) { return 0; }

// libFuzzer calls this once before the first input: the same set-up for every target.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  iovsim::fuzz::init_systemc();
  return 0;
}

namespace iovsim::fuzz {

namespace {

void on_report(const sc_core::sc_report& report, const sc_core::sc_actions&) {
  if (report.get_severity() == sc_core::SC_INFO) return;
  fuzz_fail(std::string("SystemC ") + (report.get_severity() == sc_core::SC_WARNING ? "warning" : "error") + " " +
            report.get_msg_type() + ": " + report.get_msg());
}

// Runs the body, then stops the simulation: model threads waiting for work must not
// keep it going.
class body_thread : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(body_thread);
  body_thread(sc_core::sc_module_name name, std::function<void()> body) : sc_module(name), m_body(std::move(body)) {
    SC_THREAD(run);
    // The scenario engine's host thread size (scenarios/engine.cpp): the shell nests.
    set_stack_size(1 << 20);
  }
  bool finished = false;

 private:
  void run() {
    m_body();
    finished = true;
    kit::end_spawned_processes();
    sc_core::sc_stop();
  }
  std::function<void()> m_body;
};

}  // namespace

void fuzz_fail(const std::string& what) {
  std::fprintf(stderr, "fuzz: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

void init_systemc() {
  static const bool done = [] {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    sc_core::sc_report_handler::set_handler(on_report);
    std::set_terminate([] {
      std::string what = "uncaught exception";
      try {
        if (std::exception_ptr e = std::current_exception()) std::rethrow_exception(e);
      } catch (const std::exception& e) {
        what += std::string(": ") + e.what();
      } catch (...) {
      }
      fuzz_fail(what);
    });
    return true;
  }();
  (void)done;
}

void check_one_line(const std::string& message, const char* what) {
  if (message.empty()) fuzz_fail(std::string(what) + ": empty message");
  for (const char c : message)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      fuzz_fail(std::string(what) + " has a control character (byte " + std::to_string(static_cast<int>(c)) + "): \"" +
                message + "\"");
}

void check_error_line(const std::string& message, bool allow_unlocated) {
  check_one_line(message, "error message");
  // FILE:LINE:COL: message, LINE and COL from 1; the file may hold colons itself, so
  // look for the first ":N:N: " (no std::regex: its recursion grows with the text).
  auto number_at = [&](size_t& i) {
    const size_t start = i;
    while (i < message.size() && message[i] >= '0' && message[i] <= '9') ++i;
    return i > start && message[start] != '0';
  };
  for (size_t colon = message.find(':'); colon != std::string::npos; colon = message.find(':', colon + 1)) {
    size_t i = colon + 1;
    if (colon > 0 && number_at(i) && i < message.size() && message[i] == ':' && number_at(++i) &&
        message.compare(i, 2, ": ") == 0 && i + 2 < message.size() && message[i + 2] != ' ')
      return;
  }
  const size_t colon = message.find(": ");
  if (allow_unlocated && colon != std::string::npos && colon > 0 && colon + 2 < message.size()) return;
  fuzz_fail("error message not in the FILE:LINE:COL: form: \"" + message + "\"");
}

void simulate(const std::function<void()>& body) {
  body_thread thread("fuzz", body);
  try {
    sc_core::sc_start();
  } catch (const sc_core::sc_report& r) {
    fuzz_fail(std::string("exception out of the simulation: ") + r.what());
  } catch (const std::exception& e) {
    fuzz_fail(std::string("exception out of the simulation: ") + e.what());
  }
  if (!thread.finished) fuzz_fail("the simulation ended before the host thread did");
}

void after_run() {
  if (sc_core::sc_pending_activity_at_future_time()) fuzz_fail("a timed notification outlived its model");
}

bool verbose() {
  static const bool on = [] {
    const char* v = std::getenv("IOVSIM_FUZZ_VERBOSE");
    return v && *v && std::string(v) != "0";
  }();
  return on;
}

void trace(const std::string& line) {
  if (verbose()) std::fprintf(stderr, "[%s] %s\n", sc_core::sc_time_stamp().to_string().c_str(), line.c_str());
}

std::string source_dir() { return IOVSIM_SOURCE_DIR; }

}  // namespace iovsim::fuzz
