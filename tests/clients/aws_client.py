"""botocore, the AWS SDK for Python, against a loopback endpoint that checks its signatures.

The endpoint answers STS GetCallerIdentity; for each request it finds the access key id in the
SigV4 Authorization header and recomputes the signature with the secret the test says that key
has (the JSON file named by argv[1]: {key id: {"secret": ..., "token": ...}}, re-read on every
request), so a request signed with anything but the stored secret is seen as such.

The client is an ordinary botocore session: it resolves credentials as the AWS CLI does, from
AWS_PROFILE and ~/.aws/config (here: `credential_process = vault aws NAME`), and caches them
until their Expiration. Each line "call" on stdin makes one request and prints one JSON line:
{"key_id": ..., "verified": bool, "token_ok": bool} or {"error": "..."}.
"""

import hashlib
import hmac
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import botocore.session

KEYS_FILE = sys.argv[1]
seen = []


def sign(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def verify(method, path, headers, body):
    auth = headers.get("Authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return None, False, False
    fields = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    key_id, date, region, service, _ = fields["Credential"].split("/")
    signed = fields["SignedHeaders"].split(";")
    with open(KEYS_FILE) as f:
        known = json.load(f).get(key_id)
    if known is None:
        return key_id, False, False
    parts = urlsplit(path)
    query = "&".join(sorted(p for p in parts.query.split("&") if p))
    canonical_headers = "".join(
        f"{h}:{' '.join(headers.get(h, '').split())}\n" for h in signed
    )
    payload = headers.get("X-Amz-Content-SHA256") or hashlib.sha256(body).hexdigest()
    canonical = "\n".join(
        [method, parts.path or "/", query, canonical_headers, ";".join(signed), payload]
    )
    amz_date = headers["X-Amz-Date"]
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    k = sign(("AWS4" + known["secret"]).encode(), date)
    for part in (region, service, "aws4_request"):
        k = sign(k, part)
    expected = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    verified = hmac.compare_digest(expected, fields["Signature"])
    token_ok = headers.get("X-Amz-Security-Token") == known.get("token")
    return key_id, verified, token_ok


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        seen.append(verify("POST", self.path, self.headers, body))
        reply = (
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            "<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/dev</Arn>"
            "<UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>"
            "</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId>"
            "</ResponseMetadata></GetCallerIdentityResponse>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
endpoint = f"http://127.0.0.1:{server.server_address[1]}"

# Made at the first call: making it resolves the credentials, which may fail (a locked vault).
client = None

for line in sys.stdin:
    if line.strip() != "call":
        continue
    try:
        if client is None:
            client = botocore.session.get_session().create_client(
                "sts", endpoint_url=endpoint, region_name="us-east-1"
            )
        client.get_caller_identity()
        key_id, verified, token_ok = seen[-1]
        print(json.dumps({"key_id": key_id, "verified": verified, "token_ok": token_ok}), flush=True)
    except Exception as e:  # the test reads what botocore says
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)
