#!/usr/bin/python3
"""Stand-in vLLM: GET /health answers 503 to the first request, then 200; it counts requests.
Plain sockets rather than http.server, whose import alone costs a tenth of a second per cell.
Usage: vllm.py PORT"""
import socket
import sys
import threading

seen = {'n': 0}
lock = threading.Lock()


def handle(conn):
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
        print('request', path, 200 if ready else 503, flush=True)


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(('0.0.0.0', int(sys.argv[1])))
server.listen(64)
print('listening', flush=True)
while True:
    conn, _ = server.accept()
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
