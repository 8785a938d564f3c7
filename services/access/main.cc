// accueil-access: role bindings, device tokens and the audit log alone
// (one Kubernetes Deployment). Reaches booking (sites) at `booking_address`.
#include "services/access/module.h"
#include "services/common/host.h"

int main(int argc, char** argv) {
  return accueil::ServerMain(argc, argv, {accueil::access::NewModule});
}
