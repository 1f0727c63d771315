"""A static PEP 503 index for wharf's download tests: Python's http.server on 127.0.0.1
(an ephemeral port, printed on the first line of stdout), serving ROOT; any path under
/status/CODE/ answers CODE (to test retries on 500 and 404)."""
import http.server
import sys
from functools import partial


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        parts = self.path.split("/")
        if len(parts) > 2 and parts[1] == "status":
            self.send_response(int(parts[2]))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, format, *args):
        sys.stderr.write("%s\n" % (format % args))


server = http.server.ThreadingHTTPServer(
    ("127.0.0.1", 0), partial(Handler, directory=sys.argv[1])
)
print(server.server_address[1], flush=True)
server.serve_forever()
