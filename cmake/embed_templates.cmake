# Writes OUTPUT, a C++ file defining accueil::notify::EmbeddedTemplates() from
# the files TEMPLATES_DIR/<language>/<template>.<channel>.mustache, so that a
# deployed server needs no source tree (notify_templates_dir overrides them).
file(GLOB_RECURSE files RELATIVE ${TEMPLATES_DIR} ${TEMPLATES_DIR}/*.mustache)
list(SORT files)
set(body "")
foreach(f ${files})
  if(NOT f MATCHES "^[a-z][a-z]/[a-z_]+\\.(email|sms)\\.mustache$")
    message(FATAL_ERROR "template file name must be LANG/NAME.(email|sms).mustache: ${f}")
  endif()
  file(READ ${TEMPLATES_DIR}/${f} text)
  string(APPEND body "      {\"${f}\", R\"accueil_tpl(${text})accueil_tpl\"},\n")
endforeach()
file(WRITE ${OUTPUT}.tmp
"// Generated from services/notify/templates by cmake/embed_templates.cmake. Do not edit.
#include \"services/notify/templates.h\"

namespace accueil::notify {

const std::vector<TemplateFile>& EmbeddedTemplates() {
  static const std::vector<TemplateFile> kTemplates = {
${body}  };
  return kTemplates;
}

}  // namespace accueil::notify
")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
