#!/usr/bin/env python3
"""Small HTTP peers for tests/interop/client_interop.sh.

Each binds 127.0.0.1 on a free port, prints "PORT <n>" on stdout and serves
until killed:

  proxy LOGFILE                 an HTTP proxy: absolute-form requests are
                                forwarded, CONNECT is tunnelled; each
                                request line is appended to LOGFILE
  tls-front CERT KEY UPPORT [CA]
                                a TLS endpoint that relays the decrypted
                                bytes to 127.0.0.1:UPPORT (the openssl mock
                                server); with CA, client certificates are
                                required and checked against it
  answer KIND                   answers every POST: KIND is an HTTP status
                                code (text/plain body), "wrongtype" (200 with
                                text/html), "big" (200, 5 MiB of
                                application/pkixcmp) or "slow" (waits 30 s)
  reframe KIND UPPORT           relays each request to 127.0.0.1:UPPORT and
                                sends the answer back framed as KIND:
                                "chunked" (Transfer-Encoding: chunked, odd
                                chunk sizes, an extension and a trailer),
                                "http10" (HTTP/1.0, no Content-Length, ends
                                with the connection), "continue" (a 100
                                Continue first) or "drop" (a keep-alive
                                answer, then the connection is closed
                                without notice)
"""
import socket
import ssl
import sys
import threading
import time


def relay(a, b):
    """Copies bytes both ways until either side closes."""

    def pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    t = threading.Thread(target=pump, args=(b, a), daemon=True)
    t.start()
    pump(a, b)
    t.join()
    a.close()
    b.close()


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None, b""
        data += chunk
        if len(data) > 65536:
            return None, b""
    head, rest = data.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def read_body(conn, headers, rest):
    """Reads the body that Content-Length announces (rest: what came with the head)."""
    length = 0
    for h in headers:
        name, _, value = h.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return rest[:length]


def serve(handler, sock):
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    print("PORT %d" % sock.getsockname()[1], flush=True)
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=handler, args=(conn,), daemon=True).start()


def proxy(logfile):
    def handle(conn):
        head, rest = read_head(conn)
        if head is None:
            conn.close()
            return
        line = head.split("\r\n", 1)[0]
        with open(logfile, "a") as f:
            f.write(line + "\n")
        method, target, version = line.split(" ", 2)
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            up = socket.create_connection((host.strip("[]"), int(port)))
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                up.sendall(rest)
            relay(conn, up)
            return
        # absolute-form requests, one after the other on this connection and
        # on one upstream connection (the mock server keeps a transaction's
        # state with its connection)
        up, up_target = None, None
        while head is not None:
            line = head.split("\r\n", 1)[0]
            method, target, version = line.split(" ", 2)
            assert target.startswith("http://"), target
            hostport, _, path = target[7:].partition("/")
            host, _, port = hostport.rpartition(":")
            headers = [h for h in head.split("\r\n")[1:] if not h.lower().startswith("proxy-")]
            body = read_body(conn, headers, rest)
            if up_target != hostport:
                if up is not None:
                    up.close()
                up = socket.create_connection((host.strip("[]"), int(port or 80)))
                up_target = hostport
            up.sendall(("%s /%s %s\r\n%s\r\n\r\n" % (method, path, version, "\r\n".join(headers)))
                       .encode("latin-1") + body)
            rhead, rrest = read_head(up)
            if rhead is None:
                break
            rbody = read_body(up, rhead.split("\r\n")[1:], rrest)
            conn.sendall(rhead.encode("latin-1") + b"\r\n\r\n" + rbody)
            head, rest = read_head(conn)
            if head is not None:
                with open(logfile, "a") as f:
                    f.write(head.split("\r\n", 1)[0] + "\n")
        if up is not None:
            up.close()
        conn.close()

    serve(handle, socket.socket())


def tls_front(cert, key, upport, ca=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(ca)

    def handle(conn):
        try:
            tls = ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            conn.close()
            return
        up = socket.create_connection(("127.0.0.1", int(upport)))
        relay(tls, up)

    serve(handle, socket.socket())


def answer(kind):
    def handle(conn):
        head, rest = read_head(conn)
        if head is None:
            conn.close()
            return
        read_body(conn, head.split("\r\n")[1:], rest)
        if kind == "slow":
            time.sleep(30)
            status, ctype, body = "200 OK", "application/pkixcmp", b"\x30\x00"
        elif kind == "wrongtype":
            status, ctype, body = "200 OK", "text/html", b"<html>hello</html>"
        elif kind == "big":
            status, ctype, body = "200 OK", "application/pkixcmp", b"\x30" * (5 << 20)
        else:
            status, ctype, body = kind + " Whatever", "text/plain", b"not here\n"
        try:
            conn.sendall(("HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                          "Connection: close\r\n\r\n" % (status, ctype, len(body))).encode()
                         + body)
        except OSError:
            pass
        conn.close()

    serve(handle, socket.socket())


def reframe(kind, upport):
    # One upstream connection for all: openssl's mock server ends a
    # transaction with its connection, and "http10" and "drop" make the
    # client reconnect in mid-transaction.
    lock = threading.Lock()
    up = socket.create_connection(("127.0.0.1", int(upport)))

    def handle(conn):
        with lock:
            exchange(conn)

    def exchange(conn):
        while True:
            head, rest = read_head(conn)
            if head is None:
                break
            body = read_body(conn, head.split("\r\n")[1:], rest)
            up.sendall(head.encode("latin-1") + b"\r\n\r\n" + body)
            rhead, rrest = read_head(up)
            if rhead is None:
                break
            rlines = rhead.split("\r\n")
            rbody = read_body(up, rlines[1:], rrest)
            status = rlines[0].split(" ", 1)[1]
            ctype = [h.partition(":")[2].strip() for h in rlines[1:]
                     if h.lower().startswith("content-type:")][0]
            if kind == "chunked":
                out = ("HTTP/1.1 %s\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n"
                       % (status, ctype)).encode()
                pos = 0
                for size in (1, 7, 0x1F, 300):
                    part = rbody[pos:pos + size]
                    if part:
                        out += b"%x;ext=1\r\n" % len(part) + part + b"\r\n"
                    pos += size
                if pos < len(rbody):
                    out += b"%X\r\n" % (len(rbody) - pos) + rbody[pos:] + b"\r\n"
                out += b"0\r\nX-Trailer: yes\r\n\r\n"
            elif kind == "http10":
                out = ("HTTP/1.0 %s\r\nContent-Type: %s\r\n\r\n" % (status, ctype)).encode() + rbody
            else:
                out = ("HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
                       % (status, ctype, len(rbody))).encode() + rbody
                if kind == "continue":
                    out = b"HTTP/1.1 100 Continue\r\n\r\n" + out
            # in two writes, so that the client sees the response in pieces
            conn.sendall(out[:len(out) // 2])
            time.sleep(0.01)
            conn.sendall(out[len(out) // 2:])
            if kind in ("http10", "drop"):
                break
        conn.close()

    serve(handle, socket.socket())


def main():
    mode = sys.argv[1]
    if mode == "proxy":
        proxy(sys.argv[2])
    elif mode == "tls-front":
        tls_front(*sys.argv[2:])
    elif mode == "answer":
        answer(sys.argv[2])
    elif mode == "reframe":
        reframe(sys.argv[2], sys.argv[3])
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
