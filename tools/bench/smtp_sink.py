"""A local SMTP server that accepts every message and keeps none: the benchmark's Odoo sends its
e-mails (customer notifications, hub summaries) to it, as it would to a real relay, instead of
failing to reach port 25.

    python -m bench.smtp_sink --port 2525 [--count-file FILE]

It prints ``smtp_sink listening on 127.0.0.1:PORT`` once it listens (loopback only) and, with
``--count-file``, writes the number of messages accepted so far to that file after each one.
"""

import argparse
import asyncio
import os
import signal


class Sink:
    def __init__(self, count_file=None):
        self.count = 0
        self.count_file = count_file

    def accepted(self):
        self.count += 1
        if self.count_file:
            tmp = self.count_file + ".tmp"
            with open(tmp, "w") as f:
                f.write(f"{self.count}\n")
            os.replace(tmp, self.count_file)

    async def session(self, reader, writer):
        def reply(line):
            writer.write(line.encode() + b"\r\n")

        reply("220 smtp_sink ESMTP")
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                verb = line.decode("latin-1").strip().split(" ", 1)[0].upper()
                if verb == "EHLO":
                    reply("250-smtp_sink")
                    reply("250-8BITMIME")
                    reply("250 SIZE 104857600")
                elif verb == "DATA":
                    reply("354 end with <CRLF>.<CRLF>")
                    await writer.drain()
                    while (await reader.readline()) not in (b".\r\n", b".\n", b""):
                        pass
                    self.accepted()
                    reply("250 accepted")
                elif verb == "QUIT":
                    reply("221 bye")
                    break
                elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                    reply("250 ok")
                else:
                    reply("502 not implemented")
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()


async def serve(port, count_file):
    sink = Sink(count_file)
    if count_file:
        sink.count -= 1
        sink.accepted()  # the file exists from the start, with 0
    server = await asyncio.start_server(sink.session, "127.0.0.1", port)
    print(f"smtp_sink listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.smtp_sink", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free one")
    parser.add_argument("--count-file", help="file holding the number of messages accepted")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.port, args.count_file))


if __name__ == "__main__":
    main()
