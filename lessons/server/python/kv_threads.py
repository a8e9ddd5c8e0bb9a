"""The lesson's key-value line server, with a thread per connection
(socketserver.ThreadingTCPServer): the shape of the Go server, with OS
threads for goroutines. For comparison with the Go server only; the
lesson's tests do not use it.

    python3 lessons/server/python/kv_threads.py [port]

It speaks the lesson's protocol (SET key value, GET key), plus STATS,
which answers with the process's resident memory and thread count, for
BenchmarkIdleConnections with SERVER_BENCH_ADDR. Stop it with Ctrl-C.
"""

import socketserver
import sys
import threading

store = {}
lock = threading.Lock()  # guards store: every connection has its own thread


def stats():
    with open("/proc/self/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    return f"OK rss_kib={rss} threads={threading.active_count()}"


def answer(line):
    cmd, _, args = line.partition(" ")
    key, _, value = args.partition(" ")
    if cmd == "SET" and key and value:
        with lock:
            store[key] = value
        return "OK"
    if cmd == "GET" and key and not value:
        with lock:
            v = store.get(key)
        return "OK " + v if v is not None else "ERR no such key: " + key
    if cmd == "STATS":
        return stats()
    return f"ERR bad request {line!r}"


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        # Runs in a thread of its own, blocking in readline like a
        # goroutine; the GIL lets one thread run Python code at a time.
        for line in self.rfile:
            self.wfile.write((answer(line.decode().rstrip("\n")) + "\n").encode())


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 4096


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 7002
    with Server(("127.0.0.1", port), Handler) as server:
        print("threading server on", server.server_address, flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
