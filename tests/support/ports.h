// Loopback ports for the real servers the tests start beside Accueil
// (Kannel, notify's report listener): a free one, and waiting for one.
#pragma once

namespace accueil::testing {

// FreeLoopbackPort: a TCP port nothing listens on right now on 127.0.0.1
// (the kernel's pick; another process could take it before it is used).
int FreeLoopbackPort();

// WaitListening: true once something accepts connections on 127.0.0.1:port,
// false after 15 s.
bool WaitListening(int port);

}  // namespace accueil::testing
