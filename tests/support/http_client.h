// A small HTTP client for tests of the gateway (libcurl): one request, its
// status, headers and body, optionally from a chosen loopback source address
// (127.0.0.2 is a second "person" on the same machine) or over TLS.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace accueil::testing {

struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::string body;
  std::vector<std::string> headers;  // "Name: value"
  std::string source_address;        // "" = the default
  std::string ca_file;               // TLS: trust this certificate
};

struct HttpReply {
  long status = 0;                             // 0 when the request failed (see error)
  std::map<std::string, std::string> headers;  // names in lower case (the first of each)
  std::vector<std::string> cookies;            // every Set-Cookie's "name=value"
  std::vector<std::string> cookie_lines;       // every Set-Cookie whole (attributes too)
  std::string body;
  std::string error;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

HttpReply Fetch(const HttpCall& call);

// JsonPost: POST `body` as application/json.
HttpReply JsonPost(const std::string& url, const std::string& body,
                   std::vector<std::string> headers = {});

// FormPost: POST `fields` as a form (application/x-www-form-urlencoded),
// as a browser sends it.
HttpReply FormPost(const std::string& url,
                   const std::vector<std::pair<std::string, std::string>>& fields,
                   std::vector<std::string> headers = {});

// HiddenField: the value of the input `name="NAME" value="..."` in a page
// ("" when there is none).
std::string HiddenField(const std::string& html, const std::string& name);

// CookieHeaders: the "Cookie: a=1; b=2" header of the cookies `reply` set,
// to send them back as a browser would (none: no header).
std::vector<std::string> CookieHeaders(const HttpReply& reply);

}  // namespace accueil::testing
