#!/usr/bin/python3
"""Stand-in for vLLM's side of the pod network: the vLLM servers and the mesh's inbound proxy, in
one process (a Python start costs about a tenth of a second here, and a cell used to start three).

Each vLLM PORT: GET /health answers 503 to that port's first request, then 200, so a waiter must
retry once. MESH_PORT: accepts "mTLS" connections, reads the original port the client proxy sends
first, and hands the connection to 127.0.0.1:PORT. Plain sockets rather than http.server, whose
import alone costs a tenth of a second.
Usage: upstream.py MESH_PORT PORT [PORT...]"""
import socket
import sys
import threading

from splice import relay

lock = threading.Lock()


def listener(port):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(('0.0.0.0', port))
    server.listen(64)
    return server


def serve(server, handle, *args):
    while True:
        conn, _ = server.accept()
        threading.Thread(target=handle, args=(conn, *args), daemon=True).start()


def vllm(conn, seen):
    with conn:
        head = b''
        while b'\r\n\r\n' not in head:
            chunk = conn.recv(4096)
            if not chunk:
                return
            head += chunk
        words = head.split(b'\r\n', 1)[0].split(b' ')
        path = words[1].decode() if len(words) == 3 and words[0] == b'GET' else ''
        with lock:
            seen['n'] += 1
            ready = path == '/health' and seen['n'] > 1
        status = b'200 OK' if ready else b'503 Service Unavailable'
        conn.sendall(b'HTTP/1.1 ' + status + b'\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')


def inbound(client):
    header = b''
    while not header.endswith(b'\n'):
        chunk = client.recv(1)
        if not chunk:
            client.close()
            return
        header += chunk
    try:
        local = socket.create_connection(('127.0.0.1', int(header)))
    except OSError:
        client.close()
        return
    relay(client, local)


def main():
    mesh_port, ports = int(sys.argv[1]), [int(p) for p in sys.argv[2:]]
    # Every socket listens before "listening" is printed, so the harness never races a bind.
    servers = [(listener(port), vllm, {'n': 0}) for port in ports]
    mesh = listener(mesh_port)
    print('listening', flush=True)
    for server, handle, seen in servers:
        threading.Thread(target=serve, args=(server, handle, seen), daemon=True).start()
    serve(mesh, inbound)


main()
