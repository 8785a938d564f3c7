// The gateway's route matching: gateway::ParsePathTemplate (the protos'
// google.api.http templates) and gateway::MatchPath (a request's path).
//
// Input: a template, a newline, a path.
// Properties:
//   - a refused template is INVALID_ARGUMENT INVALID_PATH_TEMPLATE;
//   - a parsed one has ordered, in-range variables and "**" only last, and
//     matches the path built from it (literals kept, "*" -> "x", "**" -> "x/y");
//   - a path that matches binds one non-empty value per variable, no value
//     holding an empty segment.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "services/gateway/path_template.h"

namespace {

using accueil::gateway::Bindings;
using accueil::gateway::MatchPath;
using accueil::gateway::ParsePathTemplate;
using accueil::gateway::PathTemplate;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = accueil::fuzz::AsText(data, size);
  const size_t newline = input.find('\n');
  const std::string_view text = input.substr(0, newline);
  const std::string_view path =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  absl::StatusOr<PathTemplate> parsed = ParsePathTemplate(text);
  if (!parsed.ok()) {
    accueil::fuzz::CheckRefusal(parsed.status(), absl::StatusCode::kInvalidArgument,
                                {"INVALID_PATH_TEMPLATE"}, "");
    return 0;
  }
  const PathTemplate& t = *parsed;
  FUZZ_CHECK(!t.segments.empty());
  size_t previous_end = 0;
  for (const PathTemplate::Variable& v : t.variables) {
    FUZZ_CHECK(!v.field_path.empty());
    FUZZ_CHECK(v.begin < v.end && v.end <= t.segments.size() && v.begin >= previous_end);
    previous_end = v.end;
  }
  std::string built;
  for (size_t i = 0; i < t.segments.size(); ++i) {
    const PathTemplate::Segment& s = t.segments[i];
    FUZZ_CHECK(s.kind != PathTemplate::Kind::kDoubleStar || i + 1 == t.segments.size());
    built += "/";
    built += s.kind == PathTemplate::Kind::kLiteral ? s.literal
             : s.kind == PathTemplate::Kind::kStar  ? std::string("x")
                                                    : std::string("x/y");
  }
  if (!t.verb.empty()) built += ":" + t.verb;
  std::optional<Bindings> own = MatchPath(t, built);
  FUZZ_CHECK(own.has_value());
  FUZZ_CHECK(own->size() == t.variables.size());

  std::optional<Bindings> bindings = MatchPath(t, path);
  if (bindings) {
    FUZZ_CHECK(bindings->size() == t.variables.size());
    for (const auto& [field, value] : *bindings) {
      FUZZ_CHECK(!value.empty());
      FUZZ_CHECK(value.find("//") == std::string::npos);
      FUZZ_CHECK(value.front() != '/' && value.back() != '/');
    }
  }
  return 0;
}
