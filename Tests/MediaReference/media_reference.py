#!/usr/bin/env python3
"""Reference hashes for Coalition's media tests and benchmarks, computed in the same run.

    media_reference.py images FIXTURES   one JSON object per line: fixture images (path) and
                                         generated images (base64 bytes), with pdqhash's hash
                                         and quality on Pillow-decoded pixels converted to RGB
    media_reference.py videos FIXTURES   one JSON object per video: vpdq's frames

Generated images never touch the disk: they are encoded in memory and sent on stdout.
"""
import base64, glob, io, json, os, sys

import numpy as np
from PIL import Image
import pdqhash


def pdq_hex(bits):
    return "%064x" % int("".join(str(int(b)) for b in bits), 2)


def reference(image):
    bits, quality = pdqhash.compute(np.asarray(image.convert("RGB")))
    return pdq_hex(bits), int(quality)


def generated():
    rng = np.random.default_rng(20261202)
    def enc(image, fmt, **kw):
        buf = io.BytesIO()
        image.save(buf, fmt, **kw)
        return buf.getvalue()
    noise = Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8), "RGB")
    x = np.linspace(0, 255, 640)
    y = np.linspace(0, 255, 480)
    grad = np.stack([np.add.outer(y * 0, x), np.add.outer(y, x * 0), np.add.outer(y, x) / 2], axis=2).astype(np.uint8)
    gradient = Image.fromarray(grad, "RGB")
    rgba = np.concatenate([rng.integers(0, 256, (200, 260, 3), dtype=np.uint8),
                           np.tile(np.linspace(0, 255, 260, dtype=np.uint8), (200, 1))[..., None]], axis=2)
    yield "noise.png", enc(noise, "PNG")
    yield "noise.jpg", enc(noise, "JPEG", quality=90)
    yield "gradient.jpg", enc(gradient, "JPEG", quality=85)
    yield "gradient.png", enc(gradient, "PNG")
    yield "gradient.webp", enc(gradient, "WEBP", quality=80)
    yield "gradient-lossless.webp", enc(gradient, "WEBP", lossless=True)
    yield "gradient.gif", enc(gradient.convert("L"), "GIF")
    yield "1x1.png", enc(Image.new("RGB", (1, 1), (200, 10, 30)), "PNG")
    yield "strip-3x10000.png", enc(Image.fromarray(rng.integers(0, 256, (10000, 3, 3), dtype=np.uint8), "RGB"), "PNG")
    yield "strip-10000x3.png", enc(Image.fromarray(rng.integers(0, 256, (3, 10000, 3), dtype=np.uint8), "RGB"), "PNG")
    yield "strip-5x2000.png", enc(Image.fromarray(rng.integers(0, 256, (2000, 5, 3), dtype=np.uint8), "RGB"), "PNG")
    yield "alpha.png", enc(Image.fromarray(rgba, "RGBA"), "PNG")
    yield "alpha.webp", enc(Image.fromarray(rgba, "RGBA"), "WEBP", lossless=True)
    # Animated: a first frame over the whole canvas, then others (the hash is the first frame's).
    frames = [Image.fromarray(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8), "RGB")] + [gradient.resize((320, 240))] * 2
    yield "animated.webp", enc(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100, quality=80)
    yield "animated.gif", enc(frames[0].convert("P"), "GIF", save_all=True, append_images=[f.convert("P") for f in frames[1:]], duration=100)


def images(root):
    for path in sorted(glob.glob(os.path.join(root, "images", "*", "*"))):
        h, q = reference(Image.open(path))
        print(json.dumps({"name": os.path.relpath(path, os.path.join(root, "images")), "path": path, "pdq": h, "quality": q}))
    for name, data in generated():
        h, q = reference(Image.open(io.BytesIO(data)))
        print(json.dumps({"name": name, "bytes": base64.b64encode(data).decode(), "pdq": h, "quality": q}))


def videos(root):
    import vpdq
    for path in sorted(glob.glob(os.path.join(root, "videos", "*.mp4"))):
        frames = vpdq.computeHash(path, seconds_per_hash=1)
        print(json.dumps({"name": os.path.basename(path), "path": path,
                          "frames": [{"pdq": f.hex, "quality": int(f.quality), "seconds": float(f.timestamp)} for f in frames]}))


if __name__ == "__main__":
    {"images": images, "videos": videos}[sys.argv[1]](sys.argv[2])
