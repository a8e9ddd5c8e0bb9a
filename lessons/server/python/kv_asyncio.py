"""The lesson's key-value line server, with asyncio: one event loop, one
coroutine per connection. For comparison with the Go server only; the
lesson's tests do not use it.

    python3 lessons/server/python/kv_asyncio.py [port]

It speaks the lesson's protocol (SET key value, GET key), plus STATS,
which answers with the process's resident memory and thread count, for
BenchmarkIdleConnections with SERVER_BENCH_ADDR. Stop it with Ctrl-C.
"""

import asyncio
import sys
import threading

store = {}  # one thread runs every coroutine: no lock needed


def stats():
    with open("/proc/self/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    return f"OK rss_kib={rss} threads={threading.active_count()}"


def answer(line):
    cmd, _, args = line.partition(" ")
    key, _, value = args.partition(" ")
    if cmd == "SET" and key and value:
        store[key] = value
        return "OK"
    if cmd == "GET" and key and not value:
        return "OK " + store[key] if key in store else "ERR no such key: " + key
    if cmd == "STATS":
        return stats()
    return f"ERR bad request {line!r}"


async def serve_conn(reader, writer):
    # A coroutine per connection: each await hands the thread back to the
    # event loop, which resumes us when the socket is ready.
    try:
        while line := await reader.readline():
            writer.write((answer(line.decode().rstrip("\n")) + "\n").encode())
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main(port):
    server = await asyncio.start_server(serve_conn, "127.0.0.1", port, backlog=4096)
    print("asyncio server on", server.sockets[0].getsockname(), flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 7001))
    except KeyboardInterrupt:
        pass
