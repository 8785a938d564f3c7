// The pages' Mustache templates (services/gateway/web/templates/), built
// into the binary (cmake/embed_templates.cmake).
#pragma once

#include <vector>

namespace accueil::gateway {

struct PageTemplate {
  const char* path;  // "desk.mustache"
  const char* text;
};
const std::vector<PageTemplate>& EmbeddedPageTemplates();

}  // namespace accueil::gateway
