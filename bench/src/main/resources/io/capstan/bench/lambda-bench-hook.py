# The lambda benchmark's sync hook as a Python 3 process (standard library only): the same answer as the in-JVM one,
# CHILDREN ConfigMaps carrying the parent's spec.value and that value as its status. Prints "call" per request.
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
CHILDREN = int(sys.argv[2])
PRINTING = threading.Lock()


class Sync(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
        parent = request['parent']
        name = parent['metadata']['name']
        value = parent.get('spec', {}).get('value')
        children = [{'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': '%s-%d' % (name, i)},
                     'data': {'value': value}} for i in range(CHILDREN)]
        body = json.dumps({'children': children, 'status': {
            'value': value, 'children': len(request['children'].get('ConfigMap.v1', {}))}}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with PRINTING:
            print('call', flush=True)

    def log_message(self, format, *args):
        pass


ThreadingHTTPServer(('127.0.0.1', PORT), Sync).serve_forever()
