// accueil-metrics: the quality indicators alone (one Kubernetes
// Deployment; its consumer is active in one replica at a time).
#include "services/access/module.h"
#include "services/common/host.h"
#include "services/metrics/module.h"

int main(int argc, char** argv) {
  return accueil::ServerMain(argc, argv, {accueil::access::NewModule, accueil::metrics::NewModule});
}
