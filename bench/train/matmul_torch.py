#!/usr/bin/env python3
"""PyTorch side of bench/train/matmul-floor.ts: GFLOP/s of torch.mm (float32, the BLAS torch loads:
OpenBLAS where installed) on the shapes given as JSON on stdin ({"shapes": [[M, K, N], …], "reps": R,
"threads": T}); prints one JSON line: what this torch is (torch_info.py) and the GFLOP/s of the
fastest of R products per shape at T threads."""
import json
import sys
import time

import torch
from torch_info import describe

job = json.loads(sys.stdin.readline())
torch.set_num_threads(job["threads"])
out = []
for m, k, n in job["shapes"]:
    a, b = torch.rand(m, k), torch.rand(k, n)
    torch.mm(a, b)
    times = []
    for _ in range(job["reps"]):
        t0 = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - t0)
    out.append(2 * m * k * n / min(times) / 1e9)
print(json.dumps({**describe(), "threads": job["threads"], "gflops": out}), flush=True)
