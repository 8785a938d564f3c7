// Path templates of google.api.http rules ("/v1/{name=sites/*}/desks",
// "/v1/appointments:cancel"), and the URL text the gateway decodes: paths,
// query strings and HTML forms (application/x-www-form-urlencoded).
//
// Pure parsers of untrusted input, free of gRPC and <ranges> so that they are
// fuzzed (fuzz/fuzz_path_template.cc, fuzz/fuzz_urlencoded.cc).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace accueil::gateway {

// PathTemplate is the grammar of google/api/http.proto:
//   Template = "/" Segments [ ":" Verb ] ;
//   Segments = Segment { "/" Segment } ;
//   Segment  = "*" | "**" | LITERAL | Variable ;
//   Variable = "{" FieldPath [ "=" Segments ] "}" ;
// A variable without a pattern matches one segment; "**" only ends a
// template (it matches the rest of the path, at least one segment).
struct PathTemplate {
  enum class Kind { kLiteral, kStar, kDoubleStar };
  struct Segment {
    Kind kind = Kind::kLiteral;
    std::string literal;
  };
  struct Variable {
    std::string field_path;  // "name", "desk.name"
    size_t begin = 0;        // segments [begin, end)
    size_t end = 0;
  };
  std::vector<Segment> segments;
  std::vector<Variable> variables;
  std::string verb;  // "" when none
};

// ParsePathTemplate: INVALID_ARGUMENT naming what is wrong.
absl::StatusOr<PathTemplate> ParsePathTemplate(std::string_view text);

// Bindings: field path -> decoded value, in the template's order.
using Bindings = std::vector<std::pair<std::string, std::string>>;

// MatchPath: the variables' values when `path` (the request target without
// its query, still percent-encoded) matches; nullopt otherwise. A variable of
// one segment must not decode to a "/"; a multi-segment variable keeps its
// "/" separators.
std::optional<Bindings> MatchPath(const PathTemplate& path_template, std::string_view path);

// Param: the first value of `key` in `pairs` ("" when absent).
std::string Param(const Bindings& pairs, std::string_view key);

// PercentDecode: "%2F" -> "/"; with `plus_is_space` (forms and queries) "+"
// is a space. nullopt on a bad escape ("%G1", "%2") or a decoded NUL.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// PercentEncode: every byte but unreserved ones (RFC 3986) as %XX.
std::string PercentEncode(std::string_view text);

// ParseUrlEncoded reads "a=1&b=x+y" (a query string or a form body) into
// decoded pairs in order (empty parts skipped, a part without "=" has an
// empty value); nullopt when an escape is bad, the text is longer than
// `max_bytes`, or it holds more than `max_pairs` pairs.
std::optional<Bindings> ParseUrlEncoded(std::string_view text, size_t max_bytes = 64 * 1024,
                                        size_t max_pairs = 256);

// MessageLink: what a link in a message carries after its "#"
// (docs/notify.md#links): the message's id and its token.
struct MessageLink {
  std::string id;     // 1 to 18 digits
  std::string token;  // 32 hexadecimal digits, in lower case
  bool operator==(const MessageLink&) const = default;
};

// ParseMessageLink reads "ID-TOKEN", or a whole link ending so, as a
// person may paste it (spaces around it dropped, the token's letters in
// either case); nullopt for anything else.
std::optional<MessageLink> ParseMessageLink(std::string_view text);

}  // namespace accueil::gateway
