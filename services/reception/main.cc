// accueil-reception: the lodge, the queue and the counters alone (one
// Kubernetes Deployment). Reaches booking at `booking_address`.
#include "services/access/module.h"
#include "services/common/host.h"
#include "services/reception/module.h"

int main(int argc, char** argv) {
  return accueil::ServerMain(argc, argv,
                             {accueil::access::NewModule, accueil::reception::NewModule});
}
