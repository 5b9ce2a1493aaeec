#!/usr/bin/env python3
"""A stand-in for a Databricks workspace's OAuth token endpoint
(POST /oidc/v1/token, client credentials grant), for running the
databricksconnect example against a local Spark Connect server.

It checks HTTP Basic client authentication against LAKE_TEST_CLIENT_ID and
LAKE_TEST_CLIENT_SECRET (the secret form-encoded inside Basic, RFC 6749
2.3.1), answers with LAKE_TEST_ACCESS_TOKEN (the Spark server's bearer
token) valid for LAKE_TEST_TOKEN_SECONDS, and counts the tokens it grants
in the file named by its first argument. It prints its port on the first
line of stdout, then serves until killed.
"""
import base64
import http.server
import json
import os
import sys
import urllib.parse

count_file = sys.argv[1]
client_id = os.environ["LAKE_TEST_CLIENT_ID"]
client_secret = os.environ["LAKE_TEST_CLIENT_SECRET"]
access_token = os.environ["LAKE_TEST_ACCESS_TOKEN"]
lifetime = int(os.environ.get("LAKE_TEST_TOKEN_SECONDS", "3600"))
expected = "Basic " + base64.b64encode(
    f"{urllib.parse.quote(client_id, safe='')}:{urllib.parse.quote(client_secret, safe='')}".encode()
).decode()
granted = 0


class TokenEndpoint(http.server.BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        global granted
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        form = urllib.parse.parse_qs(body)
        if self.path != "/oidc/v1/token" or form.get("grant_type") != ["client_credentials"]:
            return self.answer(400, {"error": "invalid_request"})
        if self.headers.get("Authorization") != expected:
            return self.answer(401, {"error": "invalid_client"})
        granted += 1
        with open(count_file, "w") as out:
            out.write(str(granted))
        self.answer(200, {"access_token": access_token, "token_type": "Bearer", "expires_in": lifetime})

    def log_message(self, *args):  # quiet: the example's output is what matters
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), TokenEndpoint)
print(server.server_address[1], flush=True)
server.serve_forever()
