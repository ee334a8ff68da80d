#!/usr/bin/env python3
"""Small seed files for `coalition-bench fuzz-media`, made in memory with Pillow (images) and
PyAV (clips of 12 frames, 64×48, in MPEG-4 Part 2 and H.264 in MP4, H.264 in Matroska, VP9 in
WebM): one line per seed, "<decoder path> <base64 bytes>". Several pixel formats and codecs per
path, so that mutations reach each conversion. Nothing is written to disk. Run with the
threatexchange venv's python (Benchmarks/threatexchange/setup.sh installs PyAV there)."""
import base64, io

import av

import numpy as np
from PIL import Image

rng = np.random.default_rng(1000000)


def emit(path, image, fmt, **kw):
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    print(path, base64.b64encode(buf.getvalue()).decode())


rgb = Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8), "RGB")
rgba = Image.fromarray(rng.integers(0, 256, (24, 32, 4), dtype=np.uint8), "RGBA")
grey = rgb.convert("L")
emit("jpeg", rgb, "JPEG", quality=80)
emit("jpeg", rgb, "JPEG", quality=80, progressive=True)
emit("jpeg", grey, "JPEG")
emit("jpeg", rgb.convert("CMYK"), "JPEG")
emit("png", rgb, "PNG")
emit("png", rgba, "PNG")
emit("png", rgb.convert("P"), "PNG")
emit("png", grey, "PNG")
emit("png", Image.fromarray((rng.integers(0, 65536, (24, 32))).astype(np.uint16)), "PNG")
emit("webp", rgb, "WEBP", quality=70)
emit("webp", rgb, "WEBP", lossless=True)
emit("webp", rgba, "WEBP", lossless=True)
emit("webp", rgba, "WEBP", quality=70)
emit("gif", rgb.convert("P"), "GIF")
emit("gif", grey, "GIF")
frames = [Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8), "RGB").convert("P") for _ in range(3)]
emit("gif", frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
emit("webp", frames[0].convert("RGB"), "WEBP", save_all=True, append_images=[f.convert("RGB") for f in frames[1:]], duration=100, quality=70)


def clip(codec, fmt, n=12, w=64, h=48):
    buf = io.BytesIO()
    out = av.open(buf, "w", format=fmt)
    stream = out.add_stream(codec, rate=4)
    stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
    for _ in range(n):
        frame = av.VideoFrame.from_ndarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), format="rgb24")
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()
    print("video", base64.b64encode(buf.getvalue()).decode())


for codec, fmt in [("mpeg4", "mp4"), ("libx264", "mp4"), ("libx264", "matroska"), ("libvpx-vp9", "webm")]:
    clip(codec, fmt)
