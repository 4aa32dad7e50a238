// Small helpers around absl::Status that this Abseil version lacks (no status_macros.h), and the
// CHECK macro for broken invariants of our own. Thread-safe: macros only.
#pragma once

#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define COAL_CONCAT_INNER(a, b) a##b
#define COAL_CONCAT(a, b) COAL_CONCAT_INNER(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    ::absl::Status coal_status_ = (expr);      \
    if (!coal_status_.ok()) return coal_status_; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, Foo());` assigns the value or returns the error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(COAL_CONCAT(coal_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

// A broken invariant of our own: abort with context. Never for bad input.
#define COAL_CHECK(cond)                                                               \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);    \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)
