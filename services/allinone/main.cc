// accueil-server: every service in one process (the single-machine default).
// Which of them run is the configuration's `services` key (default: all).
#include "services/access/access_service.h"
#include "services/booking/booking_service.h"

int main(int argc, char** argv) {
  return accueil::ServerMain(argc, argv,
                             {{"access", accueil::access::AccessService::Make},
                              {"booking", accueil::booking::BookingService::Make}});
}
