// PEM text of keys made in a test (OpenSSL), to write the files a
// deployment would hold: TLS keys (tls_test.cc), service keys
// (service_identity_test.cc).
//
//   EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
//   std::ofstream(path) << testing::PrivateKeyPem(key);
#pragma once

#include <openssl/evp.h>

#include <string>

namespace accueil::testing {

// PrivateKeyPem returns `key` as an unencrypted PKCS#8 PEM private key.
std::string PrivateKeyPem(EVP_PKEY* key);

}  // namespace accueil::testing
