# Writes OUTPUT, a C++ file defining accueil::db::EmbeddedMigrations() from the
# SQL files of MIGRATIONS_DIR (NNNN_name.sql, sorted by name).
file(GLOB files RELATIVE ${MIGRATIONS_DIR} ${MIGRATIONS_DIR}/*.sql)
list(SORT files)
set(body "")
foreach(f ${files})
  if(NOT f MATCHES "^([0-9][0-9][0-9][0-9])_[a-z0-9_]+\\.sql$")
    message(FATAL_ERROR "migration file name must be NNNN_name.sql: ${f}")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")
  file(READ ${MIGRATIONS_DIR}/${f} sql)
  string(APPEND body "      {${version}, \"${f}\", R\"accueil_sql(${sql})accueil_sql\"},\n")
endforeach()
file(WRITE ${OUTPUT}.tmp
"// Generated from db/migrations by cmake/embed_migrations.cmake. Do not edit.
#include \"services/common/migrate.h\"

namespace accueil::db {

const std::vector<Migration>& EmbeddedMigrations() {
  static const std::vector<Migration> kMigrations = {
${body}  };
  return kMigrations;
}

}  // namespace accueil::db
")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
