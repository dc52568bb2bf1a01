#!/usr/bin/python3
"""Renders report_sample's page in headless Chromium and checks the pixels.

  report_screenshot_test.py REPORT_SAMPLE

1. REPORT_SAMPLE writes report.html into $TEST_TMPDIR.
2. Debian's /usr/bin/chromium ($CHROMIUM if set) takes a 1280x2400 screenshot
   of file://.../report.html and, in a second run, dumps the DOM.
3. The DOM must hold the four plot <svg> ids, in page order, and polylines.
4. The PNG is decoded here (zlib + the five PNG row filters; standard library
   only) and must not be uniform: each plot is found by its plot-area
   background colour (PLOT_BACKGROUND, used nowhere else on the page) and
   must show several colours, among them the ones the sample data draws
   (state colours on the timeline, the first two palette colours on the line
   plots).

Before touching Chromium it checks itself: the PNG decoder round-trips
images written with every filter type, and the pixel checks reject a uniform
image. A missing Chromium FAILS the test (./rtcsim setup installs it). The
screenshot, the DOM and the page are copied to $TEST_UNDECLARED_OUTPUTS_DIR
when set.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

PLOT_IDS = ["plot-timeline", "plot-throughput", "plot-rtt", "plot-loss"]
# Must match report.cc.
PLOT_BACKGROUND = (0xF7, 0xF9, 0xFC)
PALETTE = [(0x4E, 0x79, 0xA7), (0xF2, 0x8E, 0x2B)]
STATES = {
    "connecting": (0xF5, 0xB4, 0x00),
    "connected": (0x3A, 0xA6, 0x55),
    "disconnected": (0xF0, 0x7C, 0x1A),
    "failed": (0xD6, 0x27, 0x28),
}
EXPECTED = {
    "plot-timeline": STATES,
    "plot-throughput": {"palette 0": PALETTE[0], "palette 1": PALETTE[1]},
    "plot-rtt": {"palette 0": PALETTE[0], "palette 1": PALETTE[1]},
    "plot-loss": {"palette 0": PALETTE[0], "palette 1": PALETTE[1]},
}
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--window-size=1280,2400",
]
T0 = time.monotonic()


def log(*args):
    print(f"[{time.monotonic() - T0:6.2f}s]", *args, flush=True)


class Failure(Exception):
    pass


# ---------------------------------------------------------------- PNG decoding


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(raw, width, height, bpp):
    """Undoes the per-row filters (PNG spec §9.2); returns the rows."""
    stride = width * bpp
    rows = []
    prev = bytearray(stride)
    pos = 0
    for _ in range(height):
        ftype = raw[pos]
        line = bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        if len(line) != stride:
            raise Failure("PNG: image data too short")
        if ftype == 0:
            pass
        elif ftype == 1:  # Sub
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif ftype == 2:  # Up
            line = bytearray((x + y) & 0xFF for x, y in zip(line, prev))
        elif ftype == 3:  # Average
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:  # Paeth
            for i in range(stride):
                if i >= bpp:
                    line[i] = (line[i] + _paeth(line[i - bpp], prev[i], prev[i - bpp])) & 0xFF
                else:
                    line[i] = (line[i] + prev[i]) & 0xFF
        else:
            raise Failure(f"PNG: unknown filter type {ftype}")
        rows.append(bytes(line))
        prev = line
    return rows


def decode_png(data):
    """8-bit RGB or RGBA, non-interlaced -> (width, height, bpp, rows)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise Failure("PNG: bad signature")
    pos = 8
    ihdr = None
    idat = []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise Failure(f"PNG: bad CRC in {kind!r}")
        pos += 12 + length
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if ihdr is None or not idat:
        raise Failure("PNG: no IHDR or no IDAT")
    width, height, depth, colour, _, _, interlace = ihdr
    if depth != 8 or colour not in (2, 6) or interlace != 0:
        raise Failure(f"PNG: unsupported depth {depth} colour type {colour} interlace {interlace}")
    bpp = 3 if colour == 2 else 4
    rows = unfilter(zlib.decompress(b"".join(idat)), width, height, bpp)
    return width, height, bpp, rows


def encode_png(width, height, bpp, rows, filters):
    """Test helper: writes a PNG using filters[y % len(filters)] per row."""
    out = bytearray()
    prev = bytes(width * bpp)
    for y, row in enumerate(rows):
        ftype = filters[y % len(filters)]
        enc = bytearray()
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            pred = [0, a, b, (a + b) >> 1, _paeth(a, b, c)][ftype]
            enc.append((x - pred) & 0xFF)
        out += bytes([ftype]) + enc
        prev = row

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    colour = 2 if bpp == 3 else 6
    z = zlib.compress(bytes(out))
    # Two IDAT chunks: the decoder must concatenate them.
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0))
            + chunk(b"IDAT", z[:7]) + chunk(b"IDAT", z[7:]) + chunk(b"IEND", b""))


# --------------------------------------------------------------- pixel checks


def near(p, colour, tolerance):
    return abs(p[0] - colour[0]) <= tolerance and abs(p[1] - colour[1]) <= tolerance and abs(p[2] - colour[2]) <= tolerance


def find_plots(width, height, bpp, rows):
    """Vertical bands of rows holding the plot background; (top, bottom, left, right) each."""
    bg = bytes(PLOT_BACKGROUND)
    marked = []
    for y in range(height):
        row = rows[y]
        count = 0
        for x in range(0, width, 4):  # sampling every 4th pixel is plenty
            o = x * bpp
            if row[o:o + 3] == bg:
                count += 1
        marked.append(count >= 25)  # >= 100 px of plot background
    bands = []
    y = 0
    while y < height:
        if not marked[y]:
            y += 1
            continue
        top = y
        last = y
        # Timeline bars cover whole rows; allow gaps shorter than 30 px.
        while y < height and y - last < 30:
            if marked[y]:
                last = y
            y += 1
        bands.append([top, last])
    boxes = []
    for top, bottom in bands:
        if bottom - top < 20:
            continue
        left, right = width, -1
        for yy in range(top, bottom + 1):
            row = rows[yy]
            for x in range(width):
                if row[x * bpp:x * bpp + 3] == bg:
                    left = min(left, x)
                    right = max(right, x)
        boxes.append((top, bottom, left, right))
    return boxes


def check_plot(name, box, bpp, rows, expected, verbose):
    top, bottom, left, right = box
    counts = {}
    for y in range(top, bottom + 1):
        row = rows[y]
        for x in range(left, right + 1):
            p = row[x * bpp:x * bpp + 3]
            counts[p] = counts.get(p, 0) + 1
    problems = []
    # Saturated colours (not white/grey), bucketed so anti-aliasing does not count twice.
    buckets = {}
    for p, n in counts.items():
        if max(p) - min(p) > 40:
            key = (p[0] >> 5, p[1] >> 5, p[2] >> 5)
            buckets[key] = buckets.get(key, 0) + n
    colourful = sorted(k for k, n in buckets.items() if n >= 20)
    if len(colourful) < 2:
        problems.append(f"{name}: only {len(colourful)} distinct colours drawn in {box}")
    for label, colour in expected.items():
        n = sum(c for p, c in counts.items() if near(p, colour, 24))
        if n < 20:
            problems.append(f"{name}: {n} pixels of {label} #{bytes(colour).hex()} in {box}")
    if verbose:
        log(f"{name}: box (top, bottom, left, right) {box}, {len(counts)} colours, "
            f"{len(colourful)} saturated colour buckets")
    return problems


def check_screenshot(width, height, bpp, rows, verbose=False):
    """All problems found in the decoded screenshot (empty when fine)."""
    boxes = find_plots(width, height, bpp, rows)
    if len(boxes) != len(PLOT_IDS):
        return [f"found {len(boxes)} plot areas (background #{bytes(PLOT_BACKGROUND).hex()}), "
                f"want {len(PLOT_IDS)}: {boxes}; is the page taller than the window?"]
    problems = []
    for plot_id, box in zip(PLOT_IDS, boxes):
        problems += check_plot(plot_id, box, bpp, rows, EXPECTED[plot_id], verbose)
    return problems


def self_test():
    # The decoder against every filter type, RGB and RGBA.
    for bpp in (3, 4):
        w, h = 7, 10
        rows = [bytes((x * 37 + y * 11 + c * 101) & 0xFF for x in range(w) for c in range(bpp)) for y in range(h)]
        got = decode_png(encode_png(w, h, bpp, rows, [0, 1, 2, 3, 4]))
        if got != (w, h, bpp, rows):
            raise Failure(f"self-test: PNG decoder is wrong for bpp {bpp}")
    # The pixel checks reject a uniform image, and one that has the plot
    # background but nothing drawn on it.
    w, h = 200, 400
    white = [bytes([255, 255, 255]) * w for _ in range(h)]
    if not check_screenshot(w, h, 3, white):
        raise Failure("self-test: a uniform white image passed the pixel checks")
    empty = [bytes(PLOT_BACKGROUND) * w if (y // 50) % 2 else bytes([255, 255, 255]) * w for y in range(h)]
    if not check_screenshot(w, h, 3, empty):
        raise Failure("self-test: empty plot areas passed the pixel checks")
    log("self-test ok: PNG filters 0-4 decode, uniform and empty images are rejected")


# -------------------------------------------------------------------- driver


def run_chromium(chromium, work, tmp, extra, url, timeout):
    # HOME is the test's own directory; TMPDIR is short because Chromium puts
    # its singleton socket there and $TEST_TMPDIR exceeds the 108-byte limit
    # of a unix socket path.
    env = dict(os.environ, HOME=work, TMPDIR=tmp)
    cmd = [chromium] + CHROMIUM_FLAGS + [f"--user-data-dir={os.path.join(work, 'profile')}"] + extra + [url]
    t = time.monotonic()
    try:
        proc = subprocess.run(cmd, env=env, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failure(f"chromium timed out after {timeout} s: {' '.join(cmd)}")
    log(f"chromium {extra[0].split('=')[0]}: exit {proc.returncode} in {time.monotonic() - t:.2f} s")
    if proc.returncode != 0:
        raise Failure(f"chromium exited {proc.returncode}: {' '.join(cmd)}\n"
                      f"{proc.stderr.decode(errors='replace')[-3000:]}")
    return proc.stdout.decode("utf-8", errors="replace")


def main():
    if len(sys.argv) < 2:
        raise Failure("usage: report_screenshot_test.py GENERATOR [ARGS...] (GENERATOR ARGS... PAGE "
                      "writes the page)")
    generator = [os.path.abspath(sys.argv[1])] + sys.argv[2:]
    self_test()

    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium, os.X_OK):
        raise Failure(f"{chromium} is missing: apt-get install chromium (or ./rtcsim setup)")

    work = os.path.abspath(os.environ.get("TEST_TMPDIR") or os.environ.get("TMPDIR", "/tmp"))
    work = os.path.join(work, "report_screenshot")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    page = os.path.join(work, "report.html")
    subprocess.run(generator + [page], check=True)
    url = "file://" + page

    png_path = os.path.join(work, "report.png")
    tmp = tempfile.mkdtemp(prefix="rtcsim-report-")
    try:
        run_chromium(chromium, work, tmp, [f"--screenshot={png_path}"], url, 120)
        dom = run_chromium(chromium, work, tmp, ["--dump-dom"], url, 120)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with open(os.path.join(work, "report.dom.html"), "w") as f:
        f.write(dom)

    outputs = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR")
    if outputs and os.path.exists(png_path):
        for name in ("report.png", "report.html", "report.dom.html"):
            shutil.copy(os.path.join(work, name), os.path.join(outputs, name))

    problems = []
    # The DOM: the four plots in page order, and polylines in the line plots.
    positions = [dom.find(f'id="{plot_id}"') for plot_id in PLOT_IDS]
    for plot_id, pos in zip(PLOT_IDS, positions):
        if pos < 0:
            problems.append(f"DOM: no element with id {plot_id}")
    if all(p >= 0 for p in positions) and positions != sorted(positions):
        problems.append(f"DOM: plots out of order: {positions}")
    polylines = dom.count('<polyline class="series"')
    if polylines < 7:  # 2 throughput + 2 RTT + 3 loss series in the sample
        problems.append(f"DOM: {polylines} series polylines, want 7")
    state_rects = dom.count('<rect class="state"')
    if state_rects < 14:  # 2 tracks x 7 changes
        problems.append(f"DOM: {state_rects} state rects, want 14")
    log(f"DOM: {len(dom)} chars, {polylines} polylines")

    if not os.path.exists(png_path):
        raise Failure(f"chromium wrote no screenshot at {png_path}")
    with open(png_path, "rb") as f:
        data = f.read()
    t = time.monotonic()
    width, height, bpp, rows = decode_png(data)
    log(f"PNG: {len(data)} bytes, {width}x{height}, {bpp} bytes/pixel, decoded in {time.monotonic() - t:.2f} s")
    if (width, height) != (1280, 2400):
        problems.append(f"screenshot is {width}x{height}, want 1280x2400")
    if len({r for r in rows}) <= 1:
        problems.append("screenshot is uniform")
    problems += check_screenshot(width, height, bpp, rows, verbose=True)

    if problems:
        raise Failure("\n".join(problems))
    log("PASS")


if __name__ == "__main__":
    try:
        main()
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
