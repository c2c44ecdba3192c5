#!/usr/bin/python3
"""A scriptable AsyncSSH server for Parley's interoperability tests.

Listens on 127.0.0.1 (a free port), accepts user "alice" with password
"secret", and runs a tiny command language on exec:
  echo TEXT        -> TEXT\\n on stdout, exit 0
  fail             -> "oops\\n" on stderr, exit 3
  cat              -> copies stdin to stdout until EOF, exit 0
  bulk N           -> N bytes of 'x' on stdout, exit 0
Prints one line "PORT <known_hosts key text>" once listening, then serves
until stdin closes (the test process died or is done).

Usage: asyncssh_server.py HOSTKEY_TYPE [kex_algs] [encryption_algs] [mac_algs]
(algorithm lists comma-separated; "-" keeps AsyncSSH's defaults).
"""
import asyncio
import sys

import asyncssh


class Server(asyncssh.SSHServer):
    def begin_auth(self, username):
        return True

    def password_auth_supported(self):
        return True

    def validate_password(self, username, password):
        return username == "alice" and password == "secret"


async def handle(process):
    words = (process.command or "").split(" ", 1)  # str even without encoding
    verb = words[0]
    arg = words[1] if len(words) > 1 else ""
    if verb == "echo":
        process.stdout.write((arg + "\n").encode())
        process.exit(0)
    elif verb == "fail":
        process.stderr.write(b"oops\n")
        process.exit(3)
    elif verb == "cat":
        try:
            while True:
                data = await process.stdin.read(65536)
                if not data:
                    break
                process.stdout.write(data)
        except asyncssh.BreakReceived:
            pass
        process.exit(0)
    elif verb == "bulk":
        left = int(arg)
        chunk = b"x" * 65536
        while left > 0:
            n = min(left, len(chunk))
            process.stdout.write(chunk[:n])
            await process.stdout.drain()
            left -= n
        process.exit(0)
    else:
        process.stderr.write(b"unknown command\n")
        process.exit(127)


def algs(arg):
    return () if arg in (None, "-") else arg.split(",")


async def main():
    key_type = sys.argv[1]
    kex = algs(sys.argv[2] if len(sys.argv) > 2 else None)
    enc = algs(sys.argv[3] if len(sys.argv) > 3 else None)
    mac = algs(sys.argv[4] if len(sys.argv) > 4 else None)
    key = asyncssh.generate_private_key(key_type)
    options = {}
    if kex:
        options["kex_algs"] = kex
    if enc:
        options["encryption_algs"] = enc
    if mac:
        options["mac_algs"] = mac
    server = await asyncssh.create_server(
        Server, "127.0.0.1", 0, server_host_keys=[key],
        process_factory=handle, encoding=None, **options)
    port = server.sockets[0].getsockname()[1]
    print(port, key.export_public_key().decode().strip(), flush=True)
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    loop.add_reader(sys.stdin.fileno(),
                    lambda: done.done() or done.set_result(None))
    await done
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
