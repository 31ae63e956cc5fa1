"""A stand-in for ``rasa run`` in process tests: the few endpoints the app uses, no model.

``rasa run --port P --model M --auth-token T ...``: ``/status`` (with the token) reports M's
file name, the REST channel answers every message with one line. Copied into a test's folder
as an executable named ``rasa`` (``YICHUANG_RASA_BIN``).
"""

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command")
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--interface", default="127.0.0.1")
    parser.add_argument("--model", default="")
    parser.add_argument("--auth-token", default="")
    args, _ = parser.parse_known_args()

    class Handler(BaseHTTPRequestHandler):
        def _json(self, status: int, body) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urlparse(self.path)
            if url.path == "/status":
                token = parse_qs(url.query).get("token", [""])[0]
                if token != args.auth_token:
                    return self._json(401, {"status": "failure"})
                return self._json(200, {"model_file": Path(args.model).name, "model_id": "fake"})
            return self._json(200, {"status": "ok"})

        def do_POST(self):
            length = int(self.headers.get("content-length") or 0)
            self.rfile.read(length)
            if urlparse(self.path).path == "/webhooks/rest/webhook":
                return self._json(200, [{"text": "假的对话服务"}])
            return self._json(200, {})

        def log_message(self, *a):
            pass

    ThreadingHTTPServer((args.interface, args.port), Handler).serve_forever()


if __name__ == "__main__":
    sys.exit(main())
