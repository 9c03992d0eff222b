#!/usr/bin/env python3
"""PyTorch side of bench/train/depthwise-floor.ts: GFLOP/s of a depthwise convolution (groups = C,
padding k // 2) forward, filter gradient and input gradient (torch.nn.grad: convolution_backward,
oneDNN on the CPU) on the layers given as JSON on stdin ({"layers": [[N, H, C, k, stride], …],
"reps": R}), one thread; prints one JSON line: what this torch is (torch_info.py) and, per layer,
the GFLOP/s of the fastest of R calls of each kernel."""
import json
import sys
import time

import torch
import torch.nn.functional as F
from torch_info import describe

job = json.loads(sys.stdin.readline())
torch.set_num_threads(1)


def fastest(call, reps):
    call()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return min(times)


out = []
with torch.no_grad():
    for n, h, c, k, s in job["layers"]:
        p = k // 2
        x, w = torch.rand(n, c, h, h), torch.rand(c, 1, k, k)
        o = (h + 2 * p - k) // s + 1
        dy = torch.rand(n, c, o, o)
        flops = 2 * n * o * o * c * k * k
        calls = [
            lambda: F.conv2d(x, w, stride=s, padding=p, groups=c),
            lambda: torch.nn.grad.conv2d_weight(x, w.shape, dy, stride=s, padding=p, groups=c),
            lambda: torch.nn.grad.conv2d_input(x.shape, w, dy, stride=s, padding=p, groups=c),
        ]
        out.append([flops / fastest(call, job["reps"]) / 1e9 for call in calls])
print(json.dumps({**describe(), "threads": 1, "gflops": out}), flush=True)
