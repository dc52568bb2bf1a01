#!/usr/bin/env python3
"""Writes the seed corpora for rtp_packet_fuzzer and rtcp_packet_fuzzer.

Each seed is a small, hand-laid packet (RFC 3550 §5.1/§6.4-6.6, RFC 8285
§4.2/§4.3, RFC 4585 feedback) built with struct, so the fuzzers start from
every structural path. Run from this directory: python3 make_corpus.py
"""
import os
import struct


def rtp(pt=96, seq=1, ts=0, ssrc=0x11223344, marker=False, csrcs=(), ext=None,
        payload=b"", pad=0, version=2):
    b0 = (version << 6) | (0x20 if pad else 0) | (0x10 if ext is not None else 0) | len(csrcs)
    b1 = (0x80 if marker else 0) | pt
    out = struct.pack("!BBHII", b0, b1, seq, ts, ssrc)
    out += b"".join(struct.pack("!I", c) for c in csrcs)
    if ext is not None:
        profile, body = ext
        out += struct.pack("!HH", profile, len(body) // 4) + body
    out += payload
    if pad:
        out += b"\x00" * (pad - 1) + bytes([pad])
    return out


def rtcp(pt, count, body, pad=0):
    if pad:
        body = body + b"\x00" * (pad - 1) + bytes([pad])
    b0 = 0x80 | (0x20 if pad else 0) | count
    return struct.pack("!BBH", b0, pt, len(body) // 4) + body


def block(ssrc, lost=-1):
    return struct.pack("!IB", ssrc, 12) + (lost & 0xFFFFFF).to_bytes(3, "big") + \
        struct.pack("!IIII", 0x00010005, 321, 0x11223344, 0x8000)


def sr(ssrc, blocks=()):
    body = struct.pack("!IQIII", ssrc, 0xE1234567_89ABCDEF, 160000, 50, 8000)
    return rtcp(200, len(blocks), body + b"".join(blocks))


def rr(ssrc, blocks=(), pad=0, ext=b""):
    return rtcp(201, len(blocks), struct.pack("!I", ssrc) + b"".join(blocks) + ext, pad)


def sdes(chunks):
    body = b""
    for ssrc, items in chunks:
        c = struct.pack("!I", ssrc)
        for t, v in items:
            c += bytes([t, len(v)]) + v
        c += b"\x00"
        while len(c) % 4:
            c += b"\x00"
        body += c
    return rtcp(202, len(chunks), body)


def bye(ssrcs, reason=b""):
    body = b"".join(struct.pack("!I", s) for s in ssrcs)
    if reason:
        r = bytes([len(reason)]) + reason
        while len(r) % 4:
            r += b"\x00"
        body += r
    return rtcp(203, len(ssrcs), body)


RTP = {
    "minimal": rtp(),
    "opus_marker": rtp(pt=111, seq=65535, ts=960, marker=True, payload=bytes(range(40))),
    "csrcs": rtp(csrcs=(1, 2, 3), payload=b"abcd"),
    "csrcs_15": rtp(csrcs=tuple(range(15))),
    "padding": rtp(payload=b"\x01\x02\x03", pad=5),
    "padding_only": rtp(pad=4),
    # RFC 8285 §4.2 example: L=0, L=1, two padding bytes, L=3.
    "one_byte_rfc8285": rtp(ext=(0xBEDE, bytes([0x10, 0xA1, 0x21, 0xB1, 0xB2, 0, 0,
                                                 0x33, 0xC1, 0xC2, 0xC3, 0xC4])), payload=b"xy"),
    # RFC 8285 §4.3 example: L=0, L=1, one padding byte, L=4.
    "two_byte_rfc8285": rtp(ext=(0x1000, bytes([5, 0, 6, 1, 0xD1, 0, 7, 4, 0xE1, 0xE2, 0xE3,
                                                 0xE4])), payload=b"xy"),
    "two_byte_appbits": rtp(ext=(0x100A, bytes([200, 17]) + bytes(range(1, 18)) + b"\x00")),
    "one_byte_id15": rtp(ext=(0xBEDE, bytes([0x10, 0x11, 0xFF, 0x20, 0x22, 0, 0, 0]))),
    "one_byte_id0_len": rtp(ext=(0xBEDE, bytes([0x10, 0x11, 0x03, 0x20]))),
    "one_byte_16": rtp(ext=(0xBEDE, bytes([0xEF]) + bytes(range(16)) + b"\x00\x00\x00")),
    "empty_ext": rtp(ext=(0xBEDE, b"")),
    "other_profile": rtp(ext=(0xABCD, b"\x01\x02\x03\x04"), payload=b"p"),
    "all_fields": rtp(pt=127, marker=True, csrcs=(7,), ext=(0xBEDE, bytes([0x12, 1, 2, 3])),
                      payload=b"media", pad=3),
    "srtp_like": rtp(payload=bytes(20) + bytes(range(10))),  # payload + 10-byte tag
    "version1": rtp(version=1),
    "overrun_ext": rtp(ext=(0xBEDE, bytes([0x13, 1, 2, 3]))),
}

RTCP = {
    "sr_one_block": sr(0x01020304, [block(0xAABBCCDD)]),
    "sr_no_blocks": sr(1),
    "rr_empty": rr(7),
    "rr_two_blocks": rr(7, [block(1, 5), block(2, -0x800000)]),
    "rr_padded": rr(7, pad=4),
    "rr_profile_ext": rr(7, [block(3)], ext=b"\xde\xad\xbe\xef"),
    "sdes_cname": sdes([(0x11223344, [(1, b"user@host")])]),
    "sdes_chunks": sdes([(1, [(1, b"ab")]), (2, [(2, b"x"), (1, b"yz")]), (3, [])]),
    "bye": bye([1, 2]),
    "bye_reason": bye([9], b"camera malfunction"),
    "compound_sr_sdes_bye": sr(1, [block(2)]) + sdes([(1, [(1, b"c")])]) + bye([1], b"bye"),
    # RFC 4585 generic NACK (RTPFB FMT 1) and PLI (PSFB FMT 1).
    "compound_rr_nack_pli": rr(5, [block(6)]) + rtcp(205, 1, struct.pack("!IIHH", 5, 6, 100, 3))
    + rtcp(206, 1, struct.pack("!II", 5, 6)),
    "app": rtcp(204, 3, struct.pack("!I", 1) + b"name" + b"data"),
    "xr": rtcp(207, 0, struct.pack("!I", 1) + struct.pack("!BBHQ", 4, 0, 2, 123)),
    "truncated": sr(1, [block(2)])[:-3],
    "bad_padding": bytes([0xA0, 201, 0, 1, 0, 0, 0, 0]),  # P set, count 0
}


def write(directory, seeds):
    os.makedirs(directory, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    write(os.path.join(here, "rtp_corpus"), RTP)
    write(os.path.join(here, "rtcp_corpus"), RTCP)
