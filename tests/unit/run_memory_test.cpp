// A sweep runs many scenarios in one process: each run must give back everything it
// took (its SystemC context, modules, spawned threads and their stacks, queued timed
// notifications), or the process grows with every run. LeakSanitizer sees memory
// nobody points at; this sees memory still held, by asking malloc how much is in use
// after each run of a scenario that spawns interrupt threads and timers.
#include <gtest/gtest.h>
#include <malloc.h>

#include <string>

#include "models/kit/asan.h"
#include "scenarios/engine.h"
#include "scenarios/loader.h"

namespace iovsim::scen {
namespace {

// Bytes malloc has handed out and not had back (small chunks and mmap'd ones: a
// coroutine stack is large enough to be mmap'd).
size_t bytes_in_use() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

TEST(run_memory, a_sweep_in_one_process_does_not_grow) {
#ifdef IOVSIM_ASAN
  GTEST_SKIP() << "ASan's allocator does not answer mallinfo2(); LeakSanitizer covers this build";
#endif
  // VFs enabled and bound (driver threads), the DMA engine (its interrupt thread),
  // the IOMMU's flush-queue timer: the run ends with spawned threads still waiting.
  const loaded_scenario s = load_scenario(IOVSIM_SOURCE_DIR "/scenarios/library/iommu_pt_vs_dynamic.pbtxt");
  const run_options options;  // no files written
  auto run = [&] {
    const run_report r = run_scenario(s, options);
    ASSERT_EQ(r.exit_code, 0) << r.error;
  };
  // Warm-up: first-use allocations (SystemC's pools and registries, protobuf's
  // descriptors, fmt) stay for the life of the process.
  for (int i = 0; i < 3; ++i) run();
  const size_t before = bytes_in_use();
  constexpr int RUNS = 12;
  for (int i = 0; i < RUNS; ++i) run();
  const size_t after = bytes_in_use();
  // A context with its modules and coroutine stacks is megabytes; a kept pool block a
  // few KiB. Allow malloc's own bookkeeping to move by a page or so per run.
  const long long growth = static_cast<long long>(after) - static_cast<long long>(before);
  EXPECT_LT(growth, RUNS * 4096LL) << "grew by " << growth << " bytes over " << RUNS << " runs";
  RecordProperty("growth_bytes", std::to_string(growth));
}

}  // namespace
}  // namespace iovsim::scen
