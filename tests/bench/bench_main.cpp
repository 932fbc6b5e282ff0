// The main of every benchmark program. libsystemc wants sc_main; our own main runs
// the benchmarks without libsystemc's banner (each benchmark makes its own contexts).
#include <benchmark/benchmark.h>

#include <systemc>  // declares sc_main with the linkage libsystemc expects

int sc_main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}

int main(int argc, char** argv) { return sc_main(argc, argv); }
