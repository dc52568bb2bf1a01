// Proves Debian's Google Benchmark links and runs; benchmark_smoke_test.sh
// checks its JSON output.

#include <cstdint>

#include "benchmark/benchmark.h"

namespace rtcsim {
namespace {

void BM_SumOfSquares(benchmark::State& state) {
  for (auto _ : state) {
    uint64_t sum = 0;
    for (uint64_t i = 0; i < 64; ++i) sum += i * i;
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_SumOfSquares);

}  // namespace
}  // namespace rtcsim
