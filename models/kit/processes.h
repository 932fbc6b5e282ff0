// The end of a run for the processes it spawned. SystemC 2.3.4 frees a dynamic process
// (sc_spawn) when it terminates; ~sc_simcontext frees only the processes made before
// the simulation started, so a spawned thread still waiting when the run ends (a
// driver's interrupt thread, a timer) would keep its object and its coroutine stack
// for as long as the process lives: a leak per run in a sweep, a fuzzer or a test
// executable.
#pragma once

namespace iovsim::kit {

// Kills every spawned process that has not terminated (its stack unwinds, so what it
// holds is released; no simulated time passes). Call from the SC_THREAD that ends the
// run, just before sc_stop(); the caller itself is spared.
void end_spawned_processes();

}  // namespace iovsim::kit
