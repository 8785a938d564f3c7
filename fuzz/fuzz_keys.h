// Fixed keys for the JWT targets, so that every run (and every reproduction
// of a crash) sees the same key set. Test keys only: never used elsewhere.
#pragma once

namespace accueil::fuzz {

// The P-256 key the targets sign with (kid "ec" in TrustedJwks()).
inline constexpr char kSigningKeyPem[] = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgbKpcJ4e7wmLKna1H
LVzjTBpBrL7Oz2EohThcoFeFNkChRANCAATKp3KaMi+h1jPjQDBpfmM6ROkZm4lX
iEYlaFc7hanAW0xSmhyKW74x1En4GvVlYd3FTrGj2/5eyvhO1iJzb0SG
-----END PRIVATE KEY-----
)";

// Another P-256 key: a key set holding it under kid "ec" must refuse every
// token signed with the key above.
inline constexpr char kOtherKeyPem[] = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg+jcKuMS81YoNPUks
f26JU1i7CbgwppSbBCboeLFVhcihRANCAAQXkw1IIxIz+WT3FlzSqS1sVzmudO6L
cSqRWiZZ6LLt1HY2ef7zDmDuf0RmO4xyaffQIJHndsTwFtXOQptVIJ6d
-----END PRIVATE KEY-----
)";

// The modulus of an RSA-2048 public key (kid "rsa"), base64url; e = 65537.
inline constexpr char kRsaModulus[] =
    "qQQ0F217NGYKsg64nFmf8hR9L6XFHw3nvAtyhyeztxdpoc6in19vFbOxH2sBPZTEYtIXRl1yHy07BxgZ02Dw"
    "UYDjA43Q1zlbm1N_6BaS44lPqnIdou9sHf28jCtpDkfX-zees-8K-oa2oMilHxUSdATaShJJE7p9fRm9eX8B"
    "suJBQ4uh9-bkAOFb9iQllm8y9vIndAMuw8V-t81faX0uy491xQ-kjHjXBeVFc2SoN3Xc8m-8twcINSUBN_2t"
    "1M4C21fZ55f99Ah1t3_GufMEahDORRVFJz1PyRMcveHz8xS09fzZdN1WLnveeCHYum2fQ98sHN9WCYYrO59N"
    "uCiFUw";

}  // namespace accueil::fuzz
