#!/usr/bin/python3
"""An aiortc (Debian python3-aiortc) peer for aiortc_interop_test.

Driven by the C++ test over JSON lines: stdout carries this peer's lines,
stdin the test's. No SDP: aiortc's ORTC objects (RTCIceGatherer,
RTCIceTransport, RTCDtlsTransport, RTCRtpSender, RTCRtpReceiver).

  peer -> test  {"type": "local", "ufrag", "pwd", "candidates": [...],
                 "fingerprint": "sha-256 AB:..", "ssrc"}
  test -> peer  {"ufrag", "pwd", "candidate": "candidate:...",
                 "fingerprint": "sha-256 AB:..", "dtls_role": "server"|"client",
                 "ssrc", "seconds"}
  peer -> test  {"type": "state", ...} as things progress, then
                {"type": "result", "ice_role", "ice_state", "dtls_state",
                 "packets_received", "frames_received"} and exit.
Diagnostics go to stderr.
"""
import asyncio
import json
import sys
import traceback

# aioice leaves out loopback when it gathers; the test runs over 127.0.0.1.
import aioice.ice

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

from aiortc import (  # noqa: E402
    RTCCertificate,
    RTCDtlsFingerprint,
    RTCDtlsParameters,
    RTCDtlsTransport,
    RTCIceGatherer,
    RTCIceParameters,
    RTCIceTransport,
    RTCRtpCodecParameters,
    RTCRtpReceiver,
    RTCRtpSender,
)
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError  # noqa: E402
from aiortc.rtcrtpparameters import (  # noqa: E402
    RTCRtpDecodingParameters,
    RTCRtpEncodingParameters,
    RTCRtpReceiveParameters,
    RTCRtpSendParameters,
)
from aiortc.rtcrtpreceiver import RemoteStreamTrack  # noqa: E402
from aiortc.sdp import candidate_from_sdp, candidate_to_sdp  # noqa: E402


class Silence(AudioStreamTrack):
    """20 ms frames of silence (48 kHz); aiortc encodes them as Opus."""


def emit(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def log(*args):
    print("aiortc_peer:", *args, file=sys.stderr, flush=True)


OPUS = RTCRtpCodecParameters(
    mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111
)


async def main():
    loop = asyncio.get_event_loop()
    gatherer = RTCIceGatherer()
    await gatherer.gather()
    ice = RTCIceTransport(gatherer)
    certificate = RTCCertificate.generateCertificate()
    dtls = RTCDtlsTransport(ice, [certificate])
    sender = RTCRtpSender(Silence(), dtls)
    params = gatherer.getLocalParameters()
    fp = certificate.getFingerprints()[0]
    emit(
        type="local",
        ufrag=params.usernameFragment,
        pwd=params.password,
        candidates=[
            "candidate:" + candidate_to_sdp(c) for c in gatherer.getLocalCandidates()
        ],
        fingerprint=f"{fp.algorithm} {fp.value}",
        ssrc=sender._ssrc,
    )

    line = await loop.run_in_executor(None, sys.stdin.readline)
    if not line:
        log("stdin closed before the remote parameters arrived")
        return
    remote = json.loads(line)
    sdp = remote["candidate"]
    if sdp.startswith("candidate:"):
        sdp = sdp[len("candidate:"):]
    await ice.addRemoteCandidate(candidate_from_sdp(sdp))
    await ice.addRemoteCandidate(None)

    receiver = RTCRtpReceiver("audio", dtls)
    # RTCPeerConnection gives each receiver its remote track; do it here.
    receiver._track = RemoteStreamTrack(kind="audio")
    frames = 0

    async def consume():
        nonlocal frames
        try:
            while True:
                await receiver.track.recv()
                frames += 1
        except MediaStreamError:
            pass

    await ice.start(
        RTCIceParameters(usernameFragment=remote["ufrag"], password=remote["pwd"])
    )
    emit(type="state", ice_state=ice.state, ice_role=ice.role)
    if ice.state != "completed":
        emit(type="result", ice_role=ice.role, ice_state=ice.state,
             dtls_state=dtls.state, packets_received=0, frames_received=0)
        return

    # Explicit DTLS role (RTCPeerConnection sets it the same way from SDP).
    dtls._set_role(remote["dtls_role"])
    algorithm, value = remote["fingerprint"].split(" ", 1)
    await dtls.start(
        RTCDtlsParameters(
            fingerprints=[RTCDtlsFingerprint(algorithm=algorithm, value=value)],
            role=remote["dtls_role"],
        )
    )
    emit(type="state", dtls_state=dtls.state, dtls_role=dtls._role)
    if dtls.state != "connected":
        emit(type="result", ice_role=ice.role, ice_state=ice.state,
             dtls_state=dtls.state, packets_received=0, frames_received=0)
        return

    await receiver.receive(
        RTCRtpReceiveParameters(
            codecs=[OPUS],
            encodings=[RTCRtpDecodingParameters(ssrc=int(remote["ssrc"]), payloadType=111)],
        )
    )
    consumer = asyncio.ensure_future(consume())
    await sender.send(
        RTCRtpSendParameters(
            codecs=[OPUS], encodings=[RTCRtpEncodingParameters(ssrc=sender._ssrc, payloadType=111)]
        )
    )
    await asyncio.sleep(float(remote.get("seconds", 4)))

    packets = 0
    stats = await receiver.getStats()
    for s in stats.values():
        if getattr(s, "type", "") == "inbound-rtp":
            packets += s.packetsReceived
    emit(type="result", ice_role=ice.role, ice_state=ice.state,
         dtls_state=dtls.state, packets_received=packets, frames_received=frames)
    consumer.cancel()
    await sender.stop()
    await receiver.stop()
    await dtls.stop()
    await ice.stop()


async def guarded():
    try:
        await main()
    except Exception as exc:  # report it, so the test fails at once and says why
        traceback.print_exc()
        emit(type="result", error=f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    asyncio.run(guarded())
