// accueil-booking: the booking module alone (one Kubernetes Deployment). It
// links the access module too, which every process needs for the gate's
// directory and audit log, but serves only booking.
#include "services/access/module.h"
#include "services/booking/module.h"
#include "services/common/host.h"

int main(int argc, char** argv) {
  return accueil::ServerMain(argc, argv, {accueil::access::NewModule, accueil::booking::NewModule},
                             {"booking"});
}
