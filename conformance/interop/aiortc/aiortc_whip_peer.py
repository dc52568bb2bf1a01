#!/usr/bin/python3
"""An aiortc (Debian python3-aiortc 1.4) WebRTC peer with WHIP-style signalling.

Run with /usr/bin/python3 (aiortc is Debian's, not pyenv's). Standard library
plus aiortc only: the HTTP side is a few lines over asyncio streams.

Signalling (non-trickle WHIP): the offerer POSTs its SDP offer, with every
candidate in it, to http://HOST:PORT/whip with Content-Type application/sdp;
the answerer replies 201 Created, Location: /whip/<id>, body = SDP answer.

  --whip-listen HOST:PORT   answer offers posted to http://HOST:PORT/whip
                            (port 0 picks a free port; see the "listening" line)
  --whip-url URL            create an offer (with one data channel) and POST it
  --echo                    echo every message back on the channel it came in
  --send N                  open channel "test", send N messages, check the echoes
  --size BYTES              size of each sent message (default 100)
  --unordered               the sending channel is unordered
  --binary                  send binary messages instead of strings
  --timeout SECONDS         overall timeout (default 30); non-zero exit on timeout
  --bind ADDR               the only host candidate address (default 127.0.0.1)
  --max-message-size BYTES  aiortc-only: rewrite the a=max-message-size this
                            peer advertises (aiortc 1.4 says 65536 but receives
                            larger messages fine; it never checks the limit)
  --sctp-sdp legacy|rfc8841 aiortc-only, offers: "legacy" (aiortc's default) is
                            m=application P DTLS/SCTP 5000 + a=sctpmap;
                            "rfc8841" is UDP/DTLS/SCTP webrtc-datachannel +
                            a=sctp-port (Chromium ignores a=max-message-size
                            in a legacy offer and assumes 65536)

stdout: one JSON object per line, ending with
  {"event": "result", "ok": ..., "sent": N, "received": N, "bytes": B, "error": ...}
Exit code 0 only when ok. Diagnostics go to stderr.
"""
import argparse
import asyncio
import json
import re
import sys
import time
import traceback
import urllib.parse
import uuid

T0 = time.monotonic()


def emit(event, **fields):
    obj = {"event": event}
    obj.update(fields)
    obj["t"] = round(time.monotonic() - T0, 3)
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def log(*args):
    print("aiortc_whip_peer:", *args, file=sys.stderr, flush=True)


def make_message(index, size, binary):
    """Message `index`: an 8-digit index, then a pattern that depends on it."""
    head = b"%08d" % index
    body = bytes((index * 7 + j) % 26 + 97 for j in range(max(0, size - len(head))))
    data = (head + body)[:size] if size >= len(head) else head[:size]
    return data if binary else data.decode("ascii")


def message_index(data):
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "replace")
    try:
        return int(raw[:8])
    except ValueError:
        return -1


def parse_hostport(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


# --- HTTP over asyncio streams --------------------------------------------------


async def read_http_message(reader):
    """Reads a start line, headers and a Content-Length body."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    start = lines[0]
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return start, headers, body


async def whip_post(url, offer_sdp):
    """POSTs the offer; returns (status, headers, answer_sdp)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http":
        raise ValueError(f"only http:// WHIP URLs are supported, got {url!r}")
    port = parts.port or 80
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    reader, writer = await asyncio.open_connection(parts.hostname, port)
    body = offer_sdp.encode()
    writer.write(
        (
            f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Content-Type: application/sdp\r\nAccept: application/sdp\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        + body
    )
    await writer.drain()
    start, headers, answer = await read_http_message(reader)
    writer.close()
    status = int(start.split()[1])
    return status, headers, answer.decode()


# --- the peer -------------------------------------------------------------------


class Peer:
    def __init__(self, args):
        self.args = args
        self.pc = None
        self.done = asyncio.get_running_loop().create_future()
        self.sent = 0
        self.received = 0
        self.bytes = 0
        self.echoed = 0
        self.expected = {}  # index -> message, for the sender
        self.next_index = 0  # ordered: the index the next echo must carry
        self.send_channel = None
        self.sending_done = False
        self.closed_channels = []
        self.session_taken = False
        self.remote_max_message_size = None

    def finish(self, ok, error=None):
        if not self.done.done():
            self.done.set_result((ok, error))

    def fail(self, error):
        log("error:", error)
        self.finish(False, error)

    # --- aiortc setup

    def create_pc(self):
        from aiortc import RTCPeerConnection

        pc = RTCPeerConnection()
        self.pc = pc

        @pc.on("signalingstatechange")
        def _():
            emit("signaling", state=pc.signalingState)

        @pc.on("icegatheringstatechange")
        def _():
            emit("gathering", state=pc.iceGatheringState)

        @pc.on("iceconnectionstatechange")
        def _():
            emit("ice", state=pc.iceConnectionState)
            if pc.iceConnectionState == "failed":
                self.fail("ICE failed")

        @pc.on("connectionstatechange")
        def _():
            emit("connection", state=pc.connectionState)
            if pc.connectionState == "connected":
                self.report_sctp()
                if self.args.send and self.args.whip_listen and not self.send_channel:
                    # The answerer opens its own channel once connected.
                    self.open_send_channel()
            elif pc.connectionState == "failed":
                self.fail("connection failed")
            elif pc.connectionState == "closed" and not self.args.send:
                self.finish_echo()

        @pc.on("datachannel")
        def _(channel):
            # aiortc fires this once DCEP has opened the channel.
            self.watch_channel(channel, local=False)
            self.channel_opened(channel, local=False)

        return pc

    def report_sctp(self):
        sctp = self.pc.sctp
        if sctp is None:
            return
        remote = self.remote_max_message_size
        emit(
            "sctp",
            local_max_message_size=self.local_max_message_size(),
            remote_max_message_size=remote,
        )

    def local_max_message_size(self):
        return self.args.max_message_size or 65536

    def munge_local(self, sdp):
        if self.args.max_message_size:
            sdp = re.sub(
                r"a=max-message-size:\d+",
                f"a=max-message-size:{self.args.max_message_size}",
                sdp,
            )
        return sdp

    def note_remote(self, sdp):
        # aiortc keeps no record of it (and never enforces it): remember it.
        m = re.search(r"a=max-message-size:(\d+)", sdp)
        self.remote_max_message_size = int(m.group(1)) if m else None

    def channel_opened(self, channel, local):
        emit(
            "channel_open",
            label=channel.label,
            id=channel.id,
            ordered=channel.ordered,
            protocol=channel.protocol,
            origin="local" if local else "remote",
        )
        if channel is self.send_channel:
            self.start_sending()

    def watch_channel(self, channel, local):
        @channel.on("open")
        def _():
            if local:
                self.channel_opened(channel, local=True)

        @channel.on("message")
        def _(message):
            self.on_message(channel, message)

        @channel.on("close")
        def _():
            emit(
                "channel_close",
                label=channel.label,
                id=channel.id,
                origin="local" if local else "remote",
            )
            self.closed_channels.append(channel.label)
            if channel is self.send_channel:
                if self.sending_done:
                    self.finish(True)
                else:
                    self.fail("channel closed before every echo arrived")
            elif not local and not self.args.send:
                # The echo side is done once a channel the peer opened closes.
                self.finish_echo()

    def finish_echo(self):
        if self.done.done():
            return
        if not self.closed_channels:
            self.fail("peer connection closed before any data channel closed")
            return
        # Give our own half of the stream reset a moment to leave.
        asyncio.get_running_loop().call_later(0.3, self.finish, True)

    def open_send_channel(self):
        channel = self.pc.createDataChannel("test", ordered=not self.args.unordered)
        self.send_channel = channel
        self.watch_channel(channel, local=True)
        return channel

    def start_sending(self):
        args = self.args
        emit("sending", count=args.send, size=args.size, binary=args.binary,
             ordered=not args.unordered)
        try:
            for i in range(args.send):
                msg = make_message(i, args.size, args.binary)
                self.expected[i] = msg
                self.send_channel.send(msg)
                self.sent += 1
        except Exception as e:  # noqa: BLE001
            self.fail(f"send failed after {self.sent} messages: {e!r}")

    def on_message(self, channel, message):
        if channel is not self.send_channel and self.args.send:
            return  # a sender ignores anything but the echoes on its own channel
        self.received += 1
        self.bytes += len(message if isinstance(message, bytes) else message.encode())
        if channel is not self.send_channel:
            if self.args.echo:
                try:
                    channel.send(message)
                    self.echoed += 1
                except Exception as e:  # noqa: BLE001
                    self.fail(f"echo failed: {e!r}")
            return
        # Our own channel: an echo.
        index = message_index(message)
        want = self.expected.pop(index, None)
        if want is None:
            self.fail(f"unexpected or duplicate echo (index {index}, {len(message)} units)")
            return
        if type(want) is not type(message):
            self.fail(f"echo {index} came back as {type(message).__name__}")
            return
        if want != message:
            self.fail(f"echo {index} differs from what was sent")
            return
        if not self.args.unordered:
            if index != self.next_index:
                self.fail(f"ordered channel: echo {index} arrived, expected {self.next_index}")
                return
            self.next_index += 1
        if self.received == self.args.send:
            self.sending_done = True
            emit("all_echoed", count=self.received)
            channel.close()

    # --- signalling

    async def gather_local(self, description):
        # aiortc gathers every candidate inside setLocalDescription.
        await self.pc.setLocalDescription(description)
        sdp = self.munge_local(self.pc.localDescription.sdp)
        emit("local_description", type=self.pc.localDescription.type, sdp=sdp)
        return sdp

    async def run_offerer(self):
        from aiortc import RTCSessionDescription

        self.create_pc()
        # aiortc 1.4 offers the pre-RFC 8841 form (m=application P DTLS/SCTP 5000,
        # a=sctpmap) unless told otherwise; an answer follows the offer's form.
        self.pc._sctpLegacySdp = self.args.sctp_sdp == "legacy"
        if self.args.send:
            self.open_send_channel()
        else:
            channel = self.pc.createDataChannel("whip")
            self.watch_channel(channel, local=True)
        offer_sdp = await self.gather_local(await self.pc.createOffer())
        status, headers, answer = await whip_post(self.args.whip_url, offer_sdp)
        emit("whip_response", status=status, location=headers.get("location"),
             content_type=headers.get("content-type"))
        if status != 201:
            raise RuntimeError(f"WHIP POST got HTTP {status}: {answer[:200]!r}")
        emit("remote_description", type="answer", sdp=answer)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        self.note_remote(answer)

    async def answer(self, offer_sdp):
        from aiortc import RTCSessionDescription

        self.create_pc()
        emit("remote_description", type="offer", sdp=offer_sdp)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        self.note_remote(offer_sdp)
        return await self.gather_local(await self.pc.createAnswer())

    async def handle_http(self, reader, writer):
        try:
            start, headers, body = await read_http_message(reader)
            method, path = start.split()[:2]
            status, extra, out = 404, {}, b"not found\n"
            if method == "POST" and path.split("?")[0] == "/whip":
                ctype = headers.get("content-type", "").split(";")[0].strip().lower()
                if ctype != "application/sdp":
                    status, out = 415, b"Content-Type must be application/sdp\n"
                elif self.session_taken:
                    status, out = 409, b"this peer takes one session\n"
                else:
                    self.session_taken = True
                    emit("whip_request", path=path, bytes=len(body))
                    try:
                        answer = await self.answer(body.decode())
                        status, out = 201, answer.encode()
                        extra = {"Content-Type": "application/sdp",
                                 "Location": f"/whip/{uuid.uuid4().hex}"}
                    except Exception as e:  # noqa: BLE001
                        traceback.print_exc()
                        status, out = 400, f"bad offer: {e}\n".encode()
                        self.fail(f"could not answer the offer: {e!r}")
            elif method == "DELETE" and path.startswith("/whip/"):
                status, out = 200, b""
                emit("whip_delete", path=path)
                asyncio.get_running_loop().call_soon(self.finish_echo)
            elif method == "OPTIONS":
                status, out = 204, b""
            reason = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request",
                      404: "Not Found", 409: "Conflict", 415: "Unsupported Media Type"}
            lines = [f"HTTP/1.1 {status} {reason.get(status, '')}",
                     f"Content-Length: {len(out)}", "Connection: close"]
            lines += [f"{k}: {v}" for k, v in extra.items()]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + out)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main(self):
        args = self.args
        if args.whip_url:
            await self.run_offerer()
        else:
            host, port = args.whip_listen
            server = await asyncio.start_server(self.handle_http, host, port)
            bound = server.sockets[0].getsockname()
            emit("listening", url=f"http://{host}:{bound[1]}/whip")
        return await self.done


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
    p.add_argument("--max-message-size", type=int, default=0, metavar="BYTES")
    p.add_argument("--sctp-sdp", choices=("legacy", "rfc8841"), default="legacy")
    args = p.parse_args()
    if args.size < 1:
        p.error("--size must be at least 1")
    if args.send and args.size < 8:
        p.error("--size must be at least 8 with --send (messages carry an 8-digit index)")
    return args


async def amain(args):
    # aioice leaves out loopback when it gathers; use exactly the --bind address.
    import aioice.ice

    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [args.bind]

    peer = Peer(args)
    try:
        ok, error = await asyncio.wait_for(peer.main(), args.timeout)
    except asyncio.TimeoutError:
        ok, error = False, f"timeout after {args.timeout:g} s"
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        ok, error = False, repr(e)
    result = {"ok": ok, "sent": peer.sent if args.send else peer.echoed,
              "received": peer.received, "bytes": peer.bytes}
    if args.echo or not args.send:
        result["echoed"] = peer.echoed
        result["channel_closed"] = bool(peer.closed_channels)
    if args.send:
        result["missing"] = len(peer.expected)
    if error:
        result["error"] = error
    if peer.pc is not None:
        try:
            await asyncio.wait_for(peer.pc.close(), 5)
        except Exception:  # noqa: BLE001
            pass
    emit("result", **result)
    return 0 if ok else 1


def main():
    args = parse_args()
    code = asyncio.run(amain(args))
    sys.exit(code)


if __name__ == "__main__":
    main()
