#!/usr/bin/python3
"""A headless Chromium WebRTC peer with WHIP-style signalling (no npm).

Standard library only. Serves peer.html on 127.0.0.1, launches /usr/bin/chromium
headless with a fresh profile, and relays signalling between the page and the
WHIP side; the page posts its events here and this script prints them.

  --whip-listen HOST:PORT   answer offers posted to http://HOST:PORT/whip
                            (port 0 picks a free port; see the "listening" line)
  --whip-url URL            the page creates an offer (one data channel); this
                            script POSTs it to URL and hands the answer back
  --echo                    echo every message back on the channel it came in
  --send N                  open channel "test", send N messages, check the echoes
  --size BYTES              size of each sent message (default 100)
  --unordered               the sending channel is unordered
  --binary                  send binary messages instead of strings
  --timeout SECONDS         overall timeout (default 30); non-zero exit on timeout
  --bind ADDR               keep only ICE candidates on ADDR (default 127.0.0.1)
  --chromium PATH           the browser (default $CHROMIUM or /usr/bin/chromium)
  --no-media-permission     skip getUserMedia (then Chromium offers no 127.0.0.1
                            host candidate; for checking that fact)
  --chromium-log PATH       keep Chromium's stdout/stderr there

stdout: one JSON object per line, ending with
  {"event": "result", "ok": ..., "sent": N, "received": N, "bytes": B, "error": ...}
Exit code 0 only when ok. Chromium is killed on every path. Run every party
inside one loopback-only network namespace (see README.md).
"""
import argparse
import http.client
import http.server
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = time.monotonic()

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--allow-loopback-in-peer-connection",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]

_print_lock = threading.Lock()


def emit(obj):
    obj = dict(obj)
    obj["t"] = round(time.monotonic() - T0, 3)
    with _print_lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def log(*args):
    print("chromium_peer:", *args, file=sys.stderr, flush=True)


def parse_hostport(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


class State:
    def __init__(self, args):
        self.args = args
        self.done = threading.Event()
        self.result = None
        self.offers = queue.Queue()  # (id, sdp) from WHIP POSTs, for the page
        self.answers = {}  # id -> queue.Queue of (ok, sdp)
        self.session_taken = False
        self.lock = threading.Lock()
        self.deadline = time.time() + args.timeout

    def remaining(self):
        return max(0.0, self.deadline - time.time())

    def set_result(self, result):
        with self.lock:
            if self.result is None:
                self.result = result
        self.done.set()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None  # set on the subclass

    def log_message(self, fmt, *args):  # quiet
        pass

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status, body=b"", ctype="text/plain", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


class PageHandler(Handler):
    """The page's side: config, events, and the signalling relay."""

    def do_GET(self):
        st = self.state
        path = urllib.parse.urlsplit(self.path).path
        if path in ("/", "/peer.html"):
            with open(os.path.join(HERE, "peer.html"), "rb") as f:
                self.reply(200, f.read(), "text/html; charset=utf-8")
        elif path == "/config":
            a = st.args
            cfg = {
                "mode": "offer" if a.whip_url else "listen",
                "echo": a.echo, "send": a.send, "size": a.size,
                "unordered": a.unordered, "binary": a.binary, "bind": a.bind,
                "timeout": a.timeout, "deadline_ms": int(st.deadline * 1000),
                "gum": not a.no_media_permission,
            }
            self.reply(200, json.dumps(cfg).encode(), "application/json")
        elif path == "/poll-offer":
            try:
                oid, sdp = st.offers.get(timeout=min(20.0, st.remaining() + 0.1))
            except queue.Empty:
                self.reply(204)
                return
            self.reply(200, json.dumps({"id": oid, "sdp": sdp}).encode(), "application/json")
        elif path == "/favicon.ico":
            self.reply(404)
        else:
            self.reply(404, b"not found\n")

    def do_POST(self):
        st = self.state
        parts = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(parts.query)
        data = self.body()
        if parts.path == "/event":
            obj = json.loads(data)
            if obj.get("event") == "result":
                st.set_result(obj)
            else:
                emit(obj)
            self.reply(204)
        elif parts.path == "/whip-offer":
            self.reply(200, json.dumps(self.forward_offer(data)).encode(), "application/json")
        elif parts.path == "/answer":
            oid = query.get("id", [""])[0]
            q = st.answers.get(oid)
            if q is not None:
                q.put(("error" not in query, data.decode()))
            self.reply(204)
        else:
            self.reply(404, b"not found\n")

    def forward_offer(self, offer):
        url = urllib.parse.urlsplit(self.state.args.whip_url)
        try:
            conn = http.client.HTTPConnection(url.hostname, url.port or 80,
                                              timeout=max(1.0, self.state.remaining()))
            path = url.path or "/"
            if url.query:
                path += "?" + url.query
            conn.request("POST", path, body=offer,
                         headers={"Content-Type": "application/sdp",
                                  "Accept": "application/sdp"})
            resp = conn.getresponse()
            answer = resp.read().decode("utf-8", "replace")
            location = resp.getheader("Location")
            emit({"event": "whip_response", "status": resp.status, "location": location,
                  "content_type": resp.getheader("Content-Type")})
            conn.close()
            return {"status": resp.status, "location": location, "sdp": answer}
        except OSError as e:
            emit({"event": "whip_response", "status": 0, "error": repr(e)})
            return {"status": 0, "error": repr(e)}


class WhipHandler(Handler):
    """The WHIP endpoint for --whip-listen: POST /whip with an SDP offer."""

    def do_POST(self):
        st = self.state
        path = urllib.parse.urlsplit(self.path).path
        data = self.body()
        if path != "/whip":
            self.reply(404, b"not found\n")
            return
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/sdp":
            self.reply(415, b"Content-Type must be application/sdp\n")
            return
        with st.lock:
            taken, st.session_taken = st.session_taken, True
        if taken:
            self.reply(409, b"this peer takes one session\n")
            return
        emit({"event": "whip_request", "path": self.path, "bytes": len(data)})
        oid = uuid.uuid4().hex
        answers = st.answers[oid] = queue.Queue()
        st.offers.put((oid, data.decode("utf-8", "replace")))
        try:
            ok, answer = answers.get(timeout=st.remaining())
        except queue.Empty:
            self.reply(503, b"no answer from the browser in time\n")
            return
        if not ok:
            self.reply(400, f"bad offer: {answer}\n".encode())
            return
        self.reply(201, answer.encode(), "application/sdp", {"Location": f"/whip/{oid}"})

    def do_DELETE(self):
        emit({"event": "whip_delete", "path": self.path})
        self.reply(200)

    def do_GET(self):
        self.reply(405, b"POST an SDP offer\n")


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # Chromium is killed with requests in flight; resets are expected.
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)


def serve(handler_cls, state, host, port):
    cls = type(handler_cls.__name__, (handler_cls,), {"state": state})
    server = QuietServer((host, port), cls)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Browser:
    def __init__(self, path, url, log_path):
        self.profile = tempfile.mkdtemp(prefix="rtcsim-chromium-")
        self.log_path = log_path or os.path.join(self.profile, "chromium.log")
        self.log_file = open(self.log_path, "wb")
        cmd = [path] + CHROMIUM_FLAGS + [f"--user-data-dir={self.profile}", url]
        # A new session, so killing the group takes every Chromium process.
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def exited(self):
        return self.proc.poll()

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, "rb") as f:
                return b"".join(f.readlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return ""

    def kill(self):
        if self.proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 5)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        # Stragglers left in the group after the main process exited.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.log_file.close()


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--whip-listen", type=parse_hostport, metavar="HOST:PORT")
    mode.add_argument("--whip-url", metavar="URL")
    p.add_argument("--echo", action="store_true")
    p.add_argument("--send", type=int, default=0, metavar="N")
    p.add_argument("--size", type=int, default=100, metavar="BYTES")
    p.add_argument("--unordered", action="store_true")
    p.add_argument("--binary", action="store_true")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS")
    p.add_argument("--bind", default="127.0.0.1", metavar="ADDR")
    p.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    p.add_argument("--no-media-permission", action="store_true")
    p.add_argument("--chromium-log", metavar="PATH")
    args = p.parse_args()
    if args.size < 1:
        p.error("--size must be at least 1")
    if args.send and args.size < 8:
        p.error("--size must be at least 8 with --send (messages carry an 8-digit index)")
    if args.whip_url and not args.whip_url.startswith("http://"):
        p.error("only http:// WHIP URLs are supported")
    return args


def main():
    args = parse_args()
    state = State(args)

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    browser = None
    servers = []
    result = None
    try:
        if args.whip_listen:
            host, port = args.whip_listen
            whip = serve(WhipHandler, state, host, port)
            servers.append(whip)
            emit({"event": "listening",
                  "url": f"http://{host}:{whip.server_address[1]}/whip"})
        page = serve(PageHandler, state, "127.0.0.1", 0)
        servers.append(page)
        url = f"http://127.0.0.1:{page.server_address[1]}/"
        if not os.access(args.chromium, os.X_OK):
            raise RuntimeError(f"{args.chromium} not found: run ./rtcsim setup (installs chromium)")
        browser = Browser(args.chromium, url, args.chromium_log)
        emit({"event": "browser", "pid": browser.proc.pid, "page": url})
        while not state.done.wait(0.1):
            if state.remaining() <= 0:
                break
            code = browser.exited()
            if code is not None:
                state.set_result({"ok": False, "error": f"chromium exited with code {code}"})
                log("chromium log tail:\n" + browser.log_tail())
        result = state.result
        if result is None:
            result = {"ok": False, "error": f"timeout after {args.timeout:g} s"}
    except SystemExit as e:
        result = {"ok": False, "error": f"interrupted (exit {e.code})"}
    except Exception as e:  # noqa: BLE001
        result = {"ok": False, "error": repr(e)}
    finally:
        if browser is not None:
            browser.kill()
            if result is not None and not result.get("ok"):
                log("chromium log tail:\n" + browser.log_tail(15))
            shutil.rmtree(browser.profile, ignore_errors=True)
        for s in servers:
            s.server_close()
    result.setdefault("sent", 0)
    result.setdefault("received", 0)
    result.setdefault("bytes", 0)
    result["event"] = "result"
    emit(dict([("event", "result")] + [(k, v) for k, v in result.items() if k != "event"]))
    # Daemon threads may still sit in long polls; leave without joining them.
    sys.stdout.flush()
    os._exit(0 if result.get("ok") else 1)


if __name__ == "__main__":
    main()
