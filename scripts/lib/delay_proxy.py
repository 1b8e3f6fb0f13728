#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that adds latency, not a bandwidth limit (scripts/bench.sh).

  delay_proxy.py LISTEN_PORT UPSTREAM_PORT RTT_MS

Every connection to LISTEN_PORT is forwarded to 127.0.0.1:UPSTREAM_PORT; each chunk read in either
direction is written on RTT_MS/2 after it arrived, in order, so a request and its answer cost one
round trip of RTT_MS more than on loopback while streams keep their speed. Memory per direction is
bounded (MAX_QUEUED chunks): a slow reader slows its sender instead of growing the queue.
Prints "listening" once ready; runs until killed.
"""
import asyncio
import socket
import sys

CHUNK = 256 << 10
MAX_QUEUED = 256  # chunks per direction (64 MiB)


async def forward(reader, writer, delay):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue(MAX_QUEUED)

    async def deliver():
        broken = False  # the peer went away: keep draining the queue so the reader never blocks
        while True:
            due, data = await queue.get()
            if not data:
                break
            if broken:
                continue
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                writer.write(data)
                await writer.drain()
            except (ConnectionError, OSError):
                broken = True
                writer.close()
        if broken:
            return
        wait = due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            if writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError):
            pass

    sender = asyncio.create_task(deliver())
    try:
        while True:
            data = await reader.read(CHUNK)
            await queue.put((loop.time() + delay, data))
            if not data:
                break
        await sender
    except (ConnectionError, OSError):
        sender.cancel()
        writer.close()


def no_delay(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def main(listen_port, upstream_port, rtt_ms):
    delay = rtt_ms / 2000.0

    async def handle(client_reader, client_writer):
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        except OSError:
            client_writer.close()
            return
        no_delay(client_writer)
        no_delay(up_writer)
        try:
            await asyncio.gather(forward(client_reader, up_writer, delay),
                                 forward(up_reader, client_writer, delay))
        finally:
            client_writer.close()
            up_writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port, backlog=512)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: delay_proxy.py LISTEN_PORT UPSTREAM_PORT RTT_MS")
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])))
