"""A scripted model endpoint on 127.0.0.1 for the real agent CLIs (standard library only).

    python3 server.py --port-file FILE --log FILE [--lifetime SECONDS] [--refuse-key]

Serves the Anthropic Messages API (POST /v1/messages, streaming), the OpenAI chat completions API
(POST /v1/chat/completions) and the OpenAI Responses API (POST /v1/responses). Every request body is appended to the
log as one JSON line ({"path": ..., "body": ...}), so a test can see what reached the model. It exits by itself after
its lifetime. With --refuse-key every request is answered 401, as an endpoint that does not accept the key.
"""
import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import anthropic_messages
import openai_chat
import openai_responses

ROUTES = {
    "/v1/messages": anthropic_messages.handle,
    "/v1/chat/completions": openai_chat.handle,
    "/chat/completions": openai_chat.handle,
    "/v1/responses": openai_responses.handle,
    "/responses": openai_responses.handle,
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    options = None
    log_lock = threading.Lock()

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.reply(404, {"error": {"type": "not_found", "message": "no such path"}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"unparsed": raw.decode("utf-8", "replace")}
        path = self.path.split("?", 1)[0]
        with self.log_lock, open(self.options.log, "a") as log:
            log.write(json.dumps({"path": path, "body": body}) + "\n")
        if self.options.refuse_key:
            self.reply(401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})
            return
        route = ROUTES.get(path)
        if route is None:
            self.reply(404, {"error": {"type": "not_found", "message": "no such path: " + path}})
            return
        route(self, body)

    def reply(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def stream(self, events):
        """Server-sent events: each (event name or None, payload) as one `data:` block, then the end of the body."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        for name, payload in events:
            block = ("event: %s\n" % name if name else "") + "data: %s\n\n" % (payload if isinstance(payload, str) else json.dumps(payload))
            self.wfile.write(block.encode())
            self.wfile.flush()
        self.close_connection = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--lifetime", type=float, default=900)
    parser.add_argument("--refuse-key", action="store_true")
    Handler.options = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    temporary = Handler.options.port_file + ".tmp"
    with open(temporary, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(temporary, Handler.options.port_file)
    threading.Thread(target=lambda: (time.sleep(Handler.options.lifetime), server.shutdown()), daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
