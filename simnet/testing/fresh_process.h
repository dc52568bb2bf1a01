// Runs a function in a forked child and returns the string it produced.
//
// usrsctp keeps process-wide state across simulations (see
// stack/sctp/sctp_association.h), so a test that compares two runs of a
// simulation with SCTP in it runs each in a fresh process; so do the
// scenario runner's check, sweep, replay and shrink.
#ifndef RTCSIM_SIMNET_TESTING_FRESH_PROCESS_H_
#define RTCSIM_SIMNET_TESTING_FRESH_PROCESS_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace rtcsim::simnet {

// The child runs `run` and writes its result to a pipe; the parent reads it
// and reaps the child. An error if the fork fails or the child does not exit
// with status 0 (e.g. it crashed).
absl::StatusOr<std::string> RunInFreshProcess(const std::function<std::string()>& run);

}  // namespace rtcsim::simnet

#endif  // RTCSIM_SIMNET_TESTING_FRESH_PROCESS_H_
