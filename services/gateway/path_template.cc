#include "services/gateway/path_template.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"

namespace accueil::gateway {
namespace {

absl::Status Bad(std::string_view text, std::string_view what) {
  return Error(absl::StatusCode::kInvalidArgument, "INVALID_PATH_TEMPLATE",
               absl::StrCat("path template \"", std::string(text), "\": ", std::string(what)));
}

bool LiteralChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool FieldChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parser reads the template left to right; `pos_` is the next character.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::StatusOr<PathTemplate> Parse() {
    if (text_.empty() || text_[0] != '/') return Bad(text_, "must start with \"/\"");
    pos_ = 1;
    if (absl::Status s = Segments(/*in_variable=*/false); !s.ok()) return s;
    if (pos_ < text_.size() && text_[pos_] == ':') {
      ++pos_;
      std::string_view verb = Literal();
      if (verb.empty()) return Bad(text_, "empty verb after \":\"");
      out_.verb = std::string(verb);
    }
    if (pos_ != text_.size()) {
      return Bad(text_,
                 absl::StrCat("unexpected \"", std::string(text_.substr(pos_, 1)), "\" at ", pos_));
    }
    for (size_t i = 0; i < out_.segments.size(); ++i) {
      if (out_.segments[i].kind == PathTemplate::Kind::kDoubleStar &&
          i + 1 != out_.segments.size()) {
        return Bad(text_, "\"**\" must be the last segment");
      }
    }
    return std::move(out_);
  }

 private:
  // Segments reads Segment { "/" Segment }.
  absl::Status Segments(bool in_variable) {
    while (true) {
      if (absl::Status s = Segment(in_variable); !s.ok()) return s;
      if (pos_ < text_.size() && text_[pos_] == '/') {
        ++pos_;
        continue;
      }
      return absl::OkStatus();
    }
  }

  absl::Status Segment(bool in_variable) {
    if (pos_ >= text_.size()) return Bad(text_, "empty segment at the end");
    const char c = text_[pos_];
    if (c == '{') {
      if (in_variable) return Bad(text_, "a variable inside a variable");
      return Variable();
    }
    if (c == '*') {
      ++pos_;
      PathTemplate::Segment segment;
      segment.kind = PathTemplate::Kind::kStar;
      if (pos_ < text_.size() && text_[pos_] == '*') {
        ++pos_;
        segment.kind = PathTemplate::Kind::kDoubleStar;
      }
      out_.segments.push_back(std::move(segment));
      return absl::OkStatus();
    }
    std::string_view literal = Literal();
    if (literal.empty()) return Bad(text_, absl::StrCat("empty or invalid segment at ", pos_));
    out_.segments.push_back({PathTemplate::Kind::kLiteral, std::string(literal)});
    return absl::OkStatus();
  }

  absl::Status Variable() {
    ++pos_;  // '{'
    const size_t start = pos_;
    bool part_start = true;
    while (pos_ < text_.size() && (FieldChar(text_[pos_]) || text_[pos_] == '.')) {
      if (text_[pos_] == '.') {
        if (part_start) return Bad(text_, "empty field name in a variable");
        part_start = true;
      } else {
        part_start = false;
      }
      ++pos_;
    }
    std::string field(text_.substr(start, pos_ - start));
    if (field.empty() || part_start) return Bad(text_, "a variable needs a field path");
    if (!fields_.insert(field).second) {
      return Bad(text_, absl::StrCat("field \"", field, "\" bound twice"));
    }
    PathTemplate::Variable variable;
    variable.field_path = std::move(field);
    variable.begin = out_.segments.size();
    if (pos_ < text_.size() && text_[pos_] == '=') {
      ++pos_;
      if (absl::Status s = Segments(/*in_variable=*/true); !s.ok()) return s;
    } else {
      out_.segments.push_back({PathTemplate::Kind::kStar, ""});
    }
    if (pos_ >= text_.size() || text_[pos_] != '}') return Bad(text_, "unclosed variable");
    ++pos_;
    variable.end = out_.segments.size();
    out_.variables.push_back(std::move(variable));
    return absl::OkStatus();
  }

  std::string_view Literal() {
    const size_t start = pos_;
    while (pos_ < text_.size() && LiteralChar(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  std::string_view text_;
  size_t pos_ = 0;
  PathTemplate out_;
  std::set<std::string> fields_;
};

}  // namespace

absl::StatusOr<PathTemplate> ParsePathTemplate(std::string_view text) {
  return Parser(text).Parse();
}

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = HexValue(text[i + 1]);
      const int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (LiteralChar(static_cast<char>(c))) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::optional<Bindings> MatchPath(const PathTemplate& path_template, std::string_view path) {
  if (path.empty() || path[0] != '/') return std::nullopt;
  path.remove_prefix(1);
  if (!path_template.verb.empty()) {
    const std::string suffix = ":" + path_template.verb;
    if (path.size() <= suffix.size() || path.substr(path.size() - suffix.size()) != suffix) {
      return std::nullopt;
    }
    path.remove_suffix(suffix.size());
  }
  // The path's segments, decoded; none may be empty or decode to a "/".
  std::vector<std::string> segments;
  while (true) {
    const size_t slash = path.find('/');
    std::optional<std::string> segment = PercentDecode(path.substr(0, slash), false);
    if (!segment || segment->empty() || segment->find('/') != std::string::npos) {
      return std::nullopt;
    }
    segments.push_back(std::move(*segment));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  const std::vector<PathTemplate::Segment>& want = path_template.segments;
  const bool rest = !want.empty() && want.back().kind == PathTemplate::Kind::kDoubleStar;
  if (rest ? segments.size() < want.size() : segments.size() != want.size()) return std::nullopt;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].kind == PathTemplate::Kind::kLiteral && segments[i] != want[i].literal) {
      return std::nullopt;
    }
  }
  Bindings bindings;
  for (const PathTemplate::Variable& variable : path_template.variables) {
    size_t end = variable.end;
    if (rest && end == want.size()) end = segments.size();
    std::string value;
    for (size_t i = variable.begin; i < end; ++i) {
      if (i > variable.begin) value.push_back('/');
      value += segments[i];
    }
    bindings.emplace_back(variable.field_path, std::move(value));
  }
  return bindings;
}

std::optional<Bindings> ParseUrlEncoded(std::string_view text, size_t max_bytes, size_t max_pairs) {
  if (text.size() > max_bytes) return std::nullopt;
  Bindings pairs;
  while (!text.empty()) {
    const size_t amp = text.find('&');
    std::string_view part = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    std::optional<std::string> key = PercentDecode(part.substr(0, eq), true);
    std::optional<std::string> value = PercentDecode(
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1), true);
    if (!key || !value) return std::nullopt;
    if (pairs.size() == max_pairs) return std::nullopt;
    pairs.emplace_back(std::move(*key), std::move(*value));
  }
  return pairs;
}

std::optional<MessageLink> ParseMessageLink(std::string_view text) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  if (const size_t hash = text.rfind('#'); hash != std::string_view::npos) {
    text.remove_prefix(hash + 1);
  }
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  MessageLink link{std::string(text.substr(0, dash)), std::string(text.substr(dash + 1))};
  if (link.id.empty() || link.id.size() > 18 || link.token.size() != 32) return std::nullopt;
  for (char c : link.id) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  for (char& c : link.token) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  return link;
}

std::string Param(const Bindings& pairs, std::string_view key) {
  for (const auto& [k, v] : pairs) {
    if (k == key) return v;
  }
  return "";
}

}  // namespace accueil::gateway
