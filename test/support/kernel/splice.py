"""Copies bytes between two sockets until either side ends, then closes both ways."""
import socket
import threading


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def relay(a, b):
    """Both directions at once: b to a on a thread, a to b on this one."""
    threading.Thread(target=pipe, args=(b, a), daemon=True).start()
    pipe(a, b)
