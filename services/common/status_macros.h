// Early returns on error, instead of hand-written
//   if (absl::Status s = f(); !s.ok()) return s;
//   absl::StatusOr<T> x = g(); if (!x.ok()) return x.status(); ... *x ...
// Debian's Abseil (20220623) keeps its own macros internal, so these are ours.
//
//   RETURN_IF_ERROR(call.AuthorizeSite(site));
//   ASSIGN_OR_RETURN(int64_t id, input::ParseResourceId(req.name(), "appointments", "name"));
//   ASSIGN_OR_RETURN(out.email, input::ParseEmail(p.email(), "person.email"));
//
// Both work in any function or lambda returning absl::Status or
// absl::StatusOr<T>, and return the error unchanged (code, reason, field).
// ASSIGN_OR_RETURN expands to several statements: use it as a statement of
// its own in a block (not as the body of an unbraced if or for), at most once
// per line, and with a `lhs` without unparenthesised commas.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// RETURN_IF_ERROR(expr): returns the absl::Status `expr` unless it is OK.
#define RETURN_IF_ERROR(...)                                       \
  do {                                                             \
    const absl::Status accueil_status_macro_ = (__VA_ARGS__);      \
    if (!accueil_status_macro_.ok()) return accueil_status_macro_; \
  } while (false)

// ASSIGN_OR_RETURN(lhs, expr): evaluates the absl::StatusOr `expr`; returns
// its status unless it is OK, else moves its value into `lhs` (a declaration
// such as `int64_t id` or an existing variable).
#define ASSIGN_OR_RETURN(lhs, ...)                                                             \
  ACCUEIL_ASSIGN_OR_RETURN_IMPL(ACCUEIL_STATUS_MACRO_CONCAT(accueil_statusor_, __LINE__), lhs, \
                                __VA_ARGS__)

// Implementation details: one temporary per line, named after it.
#define ACCUEIL_STATUS_MACRO_CONCAT_INNER(a, b) a##b
#define ACCUEIL_STATUS_MACRO_CONCAT(a, b) ACCUEIL_STATUS_MACRO_CONCAT_INNER(a, b)
#define ACCUEIL_ASSIGN_OR_RETURN_IMPL(statusor, lhs, ...)  \
  auto statusor = (__VA_ARGS__);                           \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)
