#!/usr/bin/python3
"""An AsyncSSH server that scripts keyboard-interactive conversations.

Usage: asyncssh_kbdint_server.py SCENARIO
Prints "PORT <known_hosts key text>" once listening; serves until stdin
closes. User "alice". Every scenario expects, for prompt i (0-based) of
round r (1-based), the answer "r<r>p<i>" -- so a test proves that each
answer reached the server in its place. Exec of any command prints "ok".

Scenarios:
  multi     three rounds of one, two and one prompts
  zero      a zero-prompt round first, then one prompt, then another
            zero-prompt round
  echo      one round with mixed echo flags
  utf8      UTF-8 name, instruction and prompts, language tag "de-CH"
  twenty    one round with 20 prompts
  big       one round with an 8 KiB prompt
  endless   never stops asking (one prompt per round)
"""
import asyncio
import sys

import asyncssh

SCENARIO = sys.argv[1]


def expected(round_no, count):
    return ["r%dp%d" % (round_no, i) for i in range(count)]


def rounds():
    if SCENARIO == "multi":
        return [("Multi", "three rounds", "", [("One: ", False)]),
                ("", "", "", [("Two: ", False), ("Three: ", True)]),
                ("Last", "", "", [("Four: ", False)])]
    if SCENARIO == "zero":
        return [("Notice", "Nothing to answer yet", "", []),
                ("", "", "", [("Code: ", False)]),
                ("", "Thanks", "", [])]
    if SCENARIO == "echo":
        return [("", "", "", [("visible: ", True), ("hidden: ", False),
                              ("visible too: ", True)])]
    if SCENARIO == "utf8":
        return [("Anmeldung für Grüße", "Schlüssel eingeben ✓ 🔑", "de-CH",
                 [("Passwort (ä): ", False), ("Einmalcode ß: ", True)])]
    if SCENARIO == "twenty":
        return [("", "", "", [("Prompt %d: " % i, i % 2 == 0)
                              for i in range(20)])]
    if SCENARIO == "big":
        return [("", "", "", [("B" * 8192, False)])]
    if SCENARIO == "endless":
        return None
    raise SystemExit("unknown scenario " + SCENARIO)


class Server(asyncssh.SSHServer):
    def connection_made(self, conn):
        self._round = 0

    def begin_auth(self, username):
        return True

    def password_auth_supported(self):
        return False

    def kbdint_auth_supported(self):
        return True

    def _challenge(self):
        self._round += 1
        script = rounds()
        if script is None:
            return ("Endless", "round %d" % self._round, "",
                    [("Again: ", False)])
        return script[self._round - 1]

    def get_kbdint_challenge(self, username, lang, submethods):
        self._round = 0  # a new attempt starts its own round count
        self._current = self._challenge()
        return self._current

    def validate_kbdint_response(self, username, responses):
        want = expected(self._round, len(self._current[3]))
        if list(responses) != want:
            return False
        script = rounds()
        if script is not None and self._round == len(script):
            return True
        self._current = self._challenge()
        return self._current


async def handle(process):
    process.stdout.write("ok\n")
    process.exit(0)


async def main():
    key = asyncssh.generate_private_key("ssh-ed25519")
    server = await asyncssh.create_server(
        Server, "127.0.0.1", 0, server_host_keys=[key],
        process_factory=handle)
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
