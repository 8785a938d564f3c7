// accueil-access: role bindings, device tokens and audit alone (Kubernetes).
#include "services/access/access_service.h"

int main(int argc, char** argv) {
  return accueil::ServerMain(argc, argv, {{"access", accueil::access::AccessService::Make}});
}
