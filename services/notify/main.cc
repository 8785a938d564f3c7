// accueil-notify: the messages alone (one Kubernetes Deployment; its
// decider is active in one replica at a time, its senders in all).
#include "services/access/module.h"
#include "services/common/host.h"
#include "services/notify/module.h"

int main(int argc, char** argv) {
  return accueil::ServerMain(argc, argv, {accueil::access::NewModule, accueil::notify::NewModule});
}
