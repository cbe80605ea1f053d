#!/usr/bin/python3
"""Stand-in vLLM: GET /health answers 503 to the first request, then 200; it counts requests.
Usage: vllm.py PORT"""
import http.server
import sys

seen = {'n': 0}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        seen['n'] += 1
        ready = self.path == '/health' and seen['n'] > 1
        self.send_response(200 if ready else 503)
        self.send_header('Content-Length', '0')
        self.end_headers()
        print('request', self.path, 200 if ready else 503, flush=True)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(('0.0.0.0', int(sys.argv[1])), Handler)
print('listening', flush=True)
server.serve_forever()
