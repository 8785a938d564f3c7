// accueil-server: every service in one process (the single-machine default).
// Which of them run is the configuration's `services` key.
#include "services/booking/booking_service.h"

int main(int argc, char** argv) {
  return accueil::ServerMain(argc, argv,
                             {{"booking", accueil::booking::BookingService::Make}});
}
