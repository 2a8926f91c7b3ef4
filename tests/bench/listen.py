#!/usr/bin/env python3
"""listen.py - the loopback load generator of `make bench` for
`cordon ingest --listen`.

  listen.py gen N OUT                  N unique Falco alerts, one per line
  listen.py send PORT FILE CONNS BATCH  post FILE's lines over CONNS keep-alive
                                       connections, BATCH lines per POST; prints
                                       "seconds requests acknowledged_events"

Each connection sends its next request only once the last one is answered,
as Falco's http_output and the API server's webhook do.
"""
import http.client, sys, threading, time


def gen(n, out):
    with open(out, "w") as f:
        for i in range(n):
            f.write('{"hostname":"node-%d","output":"Notice bench alert %d","priority":"Notice",'
                    '"rule":"Bench rule %d","source":"syscall","time":"2025-06-03T10:%02d:%02d.%09dZ",'
                    '"uuid":"00000000-0000-4000-8000-%012d","output_fields":{"proc.name":"sh",'
                    '"container.id":"4b5e57f6eb2f","proc.cmdline":"sh -c id","k8s.ns.name":"prod"}}\n'
                    % (i % 50, i, i % 7, (i // 60) % 60, i % 60, i, i))


def send(port, path, conns, batch):
    lines = open(path, "rb").read().splitlines(keepends=True)
    bodies = [b"".join(lines[i:i + batch]) for i in range(0, len(lines), batch)]
    counts = [len(lines[i:i + batch]) for i in range(0, len(lines), batch)]
    acked = [0] * conns
    reqs = [0] * conns

    def worker(k):
        c = http.client.HTTPConnection("127.0.0.1", port)
        for j in range(k, len(bodies), conns):
            c.request("POST", "/", bodies[j], {"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            reqs[k] += 1
            if r.status == 200:
                acked[k] += counts[j]
        c.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(conns)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("%.3f %d %d" % (time.monotonic() - t0, sum(reqs), sum(acked)))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(int(sys.argv[2]), sys.argv[3])
    else:
        send(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
