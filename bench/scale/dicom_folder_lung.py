"""Anchor for bench/scale/dicom-folder.ts: lung-area selection from a folder of DICOM series with pydicom
(what a Python user writes): every scan folder's .dcm files read with pydicom.dcmread, ordered by
InstanceNumber, pixel_array × RescaleSlope + RescaleIntercept as int16 HU, then the shared
preprocess anchor's OpenCV pipeline B (the one jpeg_folder_lung.py runs) and the max-area window of
half the slices. Usage: python3 dicom_folder_lung.py ROOT PROCS IMPLS_DIR
(IMPLS_DIR: the folder of the preprocess anchor's impls.py; Debian python3-pydicom, python3-opencv)."""
import os, sys, time
from multiprocessing import Pool
import numpy as np, cv2, pydicom
sys.path.insert(0, sys.argv[3])
cv2.setNumThreads(1)
import impls
PIPE = impls.make_pipelines(3)["opencv B: contour crop | compare then medianBlur8U | floodFill"]

def scans(root):
    out = []
    for d, sub, files in os.walk(root):
        fs = [f for f in files if f.lower().endswith('.dcm')]
        if fs: out.append((d, fs))
    return sorted(out)

def one(scan):
    d, files = scan
    ds = [pydicom.dcmread(os.path.join(d, f)) for f in files]
    ds.sort(key=lambda x: int(x.InstanceNumber))
    areas = []
    for x in ds:
        hu = (x.pixel_array.astype(np.float32) * float(x.get('RescaleSlope', 1)) + float(x.get('RescaleIntercept', 0))).astype(np.int16)
        areas.append(int(PIPE(hu)))
    s, e, _ = impls.best_window(areas)
    return d, len(areas), s, e

if __name__ == '__main__':
    root, procs = sys.argv[1], int(sys.argv[2])
    sc = scans(root); n = sum(len(f) for _, f in sc)
    t = time.perf_counter()
    with Pool(procs) as p: res = p.map(one, sc, chunksize=1)
    dt = time.perf_counter() - t
    print(f"{len(sc)} scans, {n} slices in {dt:.1f} s: {n/dt:.0f} slices/s with {procs} processes")
    for r in res[:3]: print(r)
