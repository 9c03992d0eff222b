#!/usr/bin/env python3
"""Writes test/fixtures/preprocess/: a few slices of the anchor volume plus small synthetic edge
cases, and what the scipy reference (the anchor's impls.py, imported by path at generation time
only) says about them, so that the parity tests run without Python.

    python3 ../shared/anchors/preprocess/gen_volume.py DIR && python3 ../shared/anchors/preprocess/reference.py DIR
    python3 bench/preprocess/make-fixture.py DIR [--anchors ../shared/anchors/preprocess]

Output: slices.i16.gz (the slices back to back, little-endian int16 HU, gzip) and expected.json
(per slice: name, source, shape, offset; crop box [r0, r1, c0, c1]; areas for median 3 and 5; for
the small synthetic slices also the mask median > t as rows of 0/1; and the reference's
whole-volume area curves and windows).
"""
import argparse
import gzip
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ap = argparse.ArgumentParser()
ap.add_argument("data", help="folder where gen_volume.py and reference.py wrote their files")
ap.add_argument("--anchors", default=os.path.join(ROOT, "..", "shared", "anchors", "preprocess"))
args = ap.parse_args()
sys.path.insert(0, os.path.abspath(args.anchors))
import impls as I  # noqa: E402
import scipy.ndimage as ndi  # noqa: E402

vol = np.load(os.path.join(args.data, "volume_300x512x512.npy"), mmap_mode="r")
ref = json.load(open(os.path.join(args.data, "expected_areas.json")))
rng = np.random.default_rng(2024)


def noisy(shape, fill=-1000.0):
    return np.full(shape, fill) + rng.normal(0, 20, shape)


def touching():
    """61×75: body cut by the top and left image border; one lung open to the crop border."""
    img = noisy((61, 75))
    img[0:45, 0:60] = 40 + rng.normal(0, 20, (45, 60))
    img[10:30, 8:22] = -850            # closed hole
    img[5:25, 40:60] = -850            # reaches the body's right edge: open, not a hole
    return img


def tie():
    """40×50: two equal squares (the first in raster order wins) and a smaller one, all with holes."""
    img = noisy((40, 50))
    for r, c, s in ((4, 30, 12), (20, 4, 12), (28, 36, 8)):
        img[r:r + s, c:c + s] = 40
        img[r + 3:r + s - 3, c + 3:c + s - 3] = -850
    return img


def tiny():
    """9×13: the largest component is 3×4, smaller than the 5×5 window (reflect wraps twice)."""
    img = noisy((9, 13))
    img[3:6, 6:10] = [[40, -450, 60, -480], [-420, 70, 30, 10], [20, -490, -410, 15]]
    img[7, 1] = 100
    return img


def lung_slice(z):
    return np.asarray(vol[z])


cases = [(f"anchor z={z}", f"volume_300x512x512 slice {z}", lung_slice(z)) for z in (0, 11, 149, 299)]
cases += [("touching", "synthetic", touching()), ("tie", "synthetic", tie()), ("tiny", "synthetic", tiny())]

slices, raw, offset = [], [], 0
for name, source, img in cases:
    s = np.clip(np.rint(img), -32768, 32767).astype("<i2")
    bb = I.crop_scipy(s)
    c = I.apply_crop(s, bb)
    areas, masks = {}, {}
    for k in (3, 5):
        M = ndi.median_filter(c, size=k) > I.T
        areas[f"k{k}"] = int(np.count_nonzero(ndi.binary_fill_holes(M))) - int(np.count_nonzero(M))
        masks[f"k{k}"] = ["".join("1" if v else "0" for v in row) for row in M]
    entry = {"name": name, "source": source, "height": s.shape[0], "width": s.shape[1], "offset": offset,
             "box": [int(v) for v in bb], "areas": areas}
    if source == "synthetic":          # small: the thresholded median of the crop, row by row
        entry["masks"] = masks
    slices.append(entry)
    raw.append(s.tobytes())
    offset += s.size
for sl in slices:
    if sl["source"].startswith("volume"):
        z = int(sl["source"].rsplit(" ", 1)[1])
        assert sl["box"] == ref["crop_bbox_r0_r1_c0_c1"][z] and sl["areas"]["k3"] == ref["areas_k3"][z], sl

out = os.path.join(ROOT, "test", "fixtures", "preprocess")
os.makedirs(out, exist_ok=True)
with gzip.GzipFile(os.path.join(out, "slices.i16.gz"), "wb", compresslevel=9, mtime=0) as f:
    f.write(b"".join(raw))
doc = {
    "generator": "bench/preprocess/make-fixture.py (scipy reference: anchors impls.crop_scipy, "
                 "ndimage.median_filter mode=reflect, > t, binary_fill_holes)",
    "rules": {"air_hu": I.AIR_T, "t_hu": I.T, "op": "gt", "edge": "reflect", "window": "n // 2 slices, first argmax"},
    "slices": slices,
    "volume": {"areas_k3": ref["areas_k3"], "areas_k5": ref["areas_k5"],
               "window_k3": ref["window_k3"], "window_k5": ref["window_k5"]},
}
with open(os.path.join(out, "expected.json"), "w") as f:
    f.write("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in doc.items()) + "\n}\n")
print("wrote", out, [(s["name"], s["box"], s["areas"]) for s in slices])
