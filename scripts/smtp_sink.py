#!/usr/bin/python3
"""A real SMTP server for the tests and the run command (aiosmtpd, Debian's
python3-aiosmtpd): every message it accepts goes into the Maildir given as
argument (read them in DIR/new/). Prints the
port it listens on (on 127.0.0.1), then serves until its stdin closes.

    /usr/bin/python3 scripts/smtp_sink.py DIR [PORT]

PORT 0 (default) picks a free port. With a third argument "serve" it serves
until SIGTERM instead (scripts/run.sh). A recipient whose address starts with
"refuse" is refused with 550 (an unknown mailbox), as a real server would.
"""
import os
import signal
import socket
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


class Sink(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    directory = sys.argv[1]
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(directory, sub), exist_ok=True)
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    controller = Controller(Sink(directory), hostname="127.0.0.1", port=port or free_port())
    controller.start()
    print(controller.port, flush=True)
    try:
        if len(sys.argv) > 3 and sys.argv[3] == "serve":
            signal.sigwait({signal.SIGTERM, signal.SIGINT})
        else:
            sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
