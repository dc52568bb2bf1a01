#ifndef RTCSIM_STACK_ENV_STATUS_MACROS_H_
#define RTCSIM_STACK_ENV_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Debian's Abseil 20220623 ships no status macros; these are ours.

#define RTCSIM_CONCAT_INNER_(a, b) a##b
#define RTCSIM_CONCAT_(a, b) RTCSIM_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` yields a non-OK status.
#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::absl::Status rtcsim_status_ = (expr);          \
    if (!rtcsim_status_.ok()) return rtcsim_status_; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, MakeX());` assigns the value or returns the error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  RTCSIM_ASSIGN_OR_RETURN_IMPL_(RTCSIM_CONCAT_(rtcsim_statusor_, __LINE__), lhs, expr)

#define RTCSIM_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).status();      \
  lhs = std::move(tmp).value()

#endif  // RTCSIM_STACK_ENV_STATUS_MACROS_H_
