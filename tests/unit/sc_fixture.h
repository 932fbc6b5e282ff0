// Test fixture for SystemC tests. SystemC 2.3 allows one elaboration per context,
// so every test gets a fresh simulation context (the previous one is freed) and its
// own sim_env (only one may exist at a time).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <systemc>
#include <utility>

#include "models/kit/processes.h"
#include "models/kit/sim_env.h"

namespace iovsim::test {

inline void fresh_systemc_context() { kit::fresh_systemc_context(); }

// Runs `body` in an SC_THREAD: host software blocks on its accesses and waits.
class thread_bench : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(thread_bench);
  thread_bench(sc_core::sc_module_name name, std::function<void()> body)
      : sc_module(name), m_body(std::move(body)) {
    SC_THREAD(run);
  }
  bool finished() const { return m_finished; }

 private:
  void run() {
    m_body();
    m_finished = true;
    // Threads the body spawned and left waiting go with the test (kit/processes.h).
    kit::end_spawned_processes();
  }
  std::function<void()> m_body;
  bool m_finished = false;
};

class sc_fixture : public ::testing::Test {
 protected:
  void SetUp() override {
    fresh_systemc_context();
    env = std::make_unique<kit::sim_env>(1);
  }
  void TearDown() override { env.reset(); }

  // Elaborates and simulates until nothing is left to do; the body must have run
  // to its end (an ASSERT failing inside it ends it early, which is also reported).
  static void run_thread(std::function<void()> body) {
    thread_bench bench("bench", std::move(body));
    sc_core::sc_start();
    EXPECT_TRUE(bench.finished());
  }

  std::unique_ptr<kit::sim_env> env;
};

}  // namespace iovsim::test
