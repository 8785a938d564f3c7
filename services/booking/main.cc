// accueil-booking: the booking service alone (one Kubernetes Deployment).
#include "services/booking/booking_service.h"

int main(int argc, char** argv) {
  return accueil::ServerMain(argc, argv, {{"booking", accueil::booking::BookingService::Make}});
}
