// A shared library that reads the clock through libc, as libssl does; the
// interposer test links it to prove that calls made from inside a shared
// object reach the executable's definitions.
#include <sys/time.h>
#include <time.h>

extern "C" {

long long rtcsim_probe_gettimeofday_us() {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  return static_cast<long long>(tv.tv_sec) * 1000000 + tv.tv_usec;
}

long long rtcsim_probe_clock_gettime_ns(int clock) {
  struct timespec ts;
  clock_gettime(static_cast<clockid_t>(clock), &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

long long rtcsim_probe_time() { return static_cast<long long>(time(nullptr)); }

}  // extern "C"
