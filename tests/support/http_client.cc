#include "tests/support/http_client.h"

#include <curl/curl.h>

#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"

namespace accueil::testing {
namespace {

size_t OnBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

size_t OnHeader(char* data, size_t size, size_t count, void* out) {
  std::string line(data, size * count);
  const size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    HttpReply* reply = static_cast<HttpReply*>(out);
    if (name == "set-cookie") {
      reply->cookies.push_back(value.substr(0, value.find(';')));
      reply->cookie_lines.push_back(value);
    }
    reply->headers.emplace(name, value);
  }
  return size * count;
}

}  // namespace

HttpReply Fetch(const HttpCall& call) {
  HttpReply reply;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  if (!call.body.empty() || call.method == "POST" || call.method == "PUT" ||
      call.method == "PATCH") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(call.body.size()));
  }
  curl_slist* headers = nullptr;
  // libcurl adds its own form content type to a body: none unless given.
  headers = curl_slist_append(headers, "Content-Type:");
  headers = curl_slist_append(headers, "Expect:");
  for (const std::string& h : call.headers) headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (!call.source_address.empty()) {
    curl_easy_setopt(curl, CURLOPT_INTERFACE, call.source_address.c_str());
  }
  if (!call.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, call.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply);
  CURLcode code = curl_easy_perform(curl);
  if (code == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  } else {
    reply.error = curl_easy_strerror(code);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return reply;
}

HttpReply JsonPost(const std::string& url, const std::string& body,
                   std::vector<std::string> headers) {
  HttpCall call;
  call.method = "POST";
  call.url = url;
  call.body = body;
  call.headers = std::move(headers);
  call.headers.push_back("Content-Type: application/json");
  return Fetch(call);
}

HttpReply FormPost(const std::string& url,
                   const std::vector<std::pair<std::string, std::string>>& fields,
                   std::vector<std::string> headers) {
  HttpCall call;
  call.method = "POST";
  call.url = url;
  for (const auto& [name, value] : fields) {
    if (!call.body.empty()) call.body += "&";
    for (const std::string* part : {&name, &value}) {
      char* escaped = curl_easy_escape(nullptr, part->data(), static_cast<int>(part->size()));
      call.body += escaped;
      curl_free(escaped);
      if (part == &name) call.body += "=";
    }
  }
  call.headers = std::move(headers);
  call.headers.push_back("Content-Type: application/x-www-form-urlencoded");
  return Fetch(call);
}

std::string HiddenField(const std::string& html, const std::string& name) {
  std::smatch m;
  const std::regex re("name=\"" + name + "\" value=\"([^\"]*)\"");
  return std::regex_search(html, m, re) ? m[1].str() : "";
}

std::vector<std::string> CookieHeaders(const HttpReply& reply) {
  if (reply.cookies.empty()) return {};
  std::string header = "Cookie: ";
  for (const std::string& c : reply.cookies) {
    if (&c != &reply.cookies.front()) header += "; ";
    header += c;
  }
  return {header};
}

}  // namespace accueil::testing
