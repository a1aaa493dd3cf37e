"""mitmproxy doing what `vault run --proxy` does to a request: the placeholder in the
Authorization header becomes the real key, for one host only (bench/proxy.sh)."""
import os

PLACEHOLDER = os.environ["BENCH_PLACEHOLDER"]
KEY = os.environ["BENCH_KEY"]
HOST = os.environ["BENCH_HOST"]


def request(flow):
    if flow.request.pretty_host == HOST:
        auth = flow.request.headers.get("authorization", "")
        if PLACEHOLDER in auth:
            flow.request.headers["authorization"] = auth.replace(PLACEHOLDER, KEY)


def responseheaders(flow):
    # Event streams pass as they arrive, as through vault (mitmproxy buffers whole bodies
    # otherwise, and a stream that never ends would never reach the client).
    if flow.response.headers.get("content-type", "").startswith("text/event-stream"):
        flow.response.stream = True


def response(flow):
    if flow.response.content and KEY.encode() in flow.response.content:
        flow.response.content = flow.response.content.replace(KEY.encode(), PLACEHOLDER.encode())
