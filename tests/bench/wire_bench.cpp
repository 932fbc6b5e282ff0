// The wire and its ends at frame rates: a generator sending back to back to a sink
// over a 10G and a 100G wire, 64 B and 1518 B frames. Reports simulated frames per
// wall second and simulated seconds per wall second. Speed is measured, never asserted.
#include <benchmark/benchmark.h>

#include <systemc>

#include "models/kit/sim_env.h"
#include "models/wire/traffic.h"

namespace {

using namespace iovsim;

// One run: `frames` frames of `size` B (FCS included) at line rate.
void line_rate(benchmark::State& state, uint32_t mbps, uint32_t size) {
  const uint64_t frames = static_cast<uint64_t>(state.range(0));
  uint64_t received = 0;
  double sim_s = 0;
  for (auto _ : state) {
    kit::fresh_systemc_context();
    kit::sim_env env(1);
    wire::wire w("w0", mbps);
    wire::traffic_port gen("gen", w, 0), sink("sink", w, 1);
    wire::traffic_spec s;
    s.src = net::mac_addr::from_u64(0x001b21a00001);
    s.dst = {net::mac_addr::from_u64(0x001b21a00002)};
    s.sizes = {size};
    s.count = frames;
    gen.start(s);
    sc_core::sc_start();
    received = sink.port_counts().rx_frames;
    sim_s = sc_core::sc_time_stamp().to_seconds();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * frames));
  state.counters["received"] = static_cast<double>(received);
  state.counters["sim_s_per_wall_s"] =
      benchmark::Counter(sim_s * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_wire_10G_64B(benchmark::State& state) { line_rate(state, 10000, 64); }
void BM_wire_10G_1518B(benchmark::State& state) { line_rate(state, 10000, 1518); }
void BM_wire_100G_64B(benchmark::State& state) { line_rate(state, 100000, 64); }
BENCHMARK(BM_wire_10G_64B)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_wire_10G_1518B)->Arg(200'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_wire_100G_64B)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
