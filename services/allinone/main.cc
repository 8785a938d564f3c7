// accueil-server: every module in one process (the single-machine default).
// Which of them serve is the configuration's `services` key (default: all).
#include "services/allinone/modules.h"
#include "services/common/host.h"

int main(int argc, char** argv) { return accueil::ServerMain(argc, argv, accueil::AllModules()); }
