#!/usr/bin/env python3
"""The CNN of nodes/kernels/cnn in PyTorch, with timm's EfficientNet module names (its state_dict
has the keys of timm's efficientnet_b*, and of ctflow's weights tables), for two uses:

- bench/train/cnn.ts runs this file as a script: the job (a JSON line on stdin: backbone
  multipliers, resolution, batch, steps, threads; 0: PyTorch's default) builds the model and
  takes one warm-up step; then each further line "round" on stdin times `steps` training steps on
  random 1-channel inputs and prints one JSON line: parameter count, milliseconds per step (wall
  and CPU time of the process, all its threads), slices per second, and what this PyTorch is
  (torch_info.py).
- test/fixtures/cnn/make-fixture.py imports it to write the PyTorch parity fixture.

Needs torch (Debian: apt-get install python3-torch). One thread unless the job says otherwise.
"""
import json
import math
import sys
import time

import torch
from torch import nn
from torch_info import describe

# b0's stages: expansion, kernel, stride, output channels, repeats (architecture.ts STAGES).
STAGES = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]


def divisible(v, d=8):
    r = max(d, int(v + d / 2) // d * d)
    return r + d if r < 0.9 * v else r


def architecture(width, depth, embedding):
    """Same rules as nodes/kernels/cnn/architecture.ts (timm's round_channels and round_repeats)."""
    stem = divisible(32 * width)
    blocks, in_c = [], stem
    for stage, (e, k, s, c, r) in enumerate(STAGES):
        out_c = divisible(c * width)
        for i in range(math.ceil(depth * r)):
            stride = s if i == 0 else 1
            mid = in_c if e == 1 else divisible(in_c * e)
            blocks.append({"name": f"blocks.{stage}.{i}", "inC": in_c, "midC": mid, "outC": out_c, "kernel": k, "stride": stride,
                           "expand": e != 1, "seC": max(1, round(mid * 0.25 / e)), "residual": stride == 1 and in_c == out_c})
            in_c = out_c
    return {"stem": stem, "blocks": blocks, "features": divisible(1280 * width), "embedding": embedding}


class SqueezeExcite(nn.Module):
    def __init__(self, c, rd):
        super().__init__()
        self.conv_reduce = nn.Conv2d(c, rd, 1)
        self.conv_expand = nn.Conv2d(rd, c, 1)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.conv_expand(nn.functional.silu(self.conv_reduce(s))))


def conv(cin, cout, k, stride=1, groups=1):
    return nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False)


class Block(nn.Module):
    """timm InvertedResidual (expand) or DepthwiseSeparableConv (first stage), same module names."""

    def __init__(self, b):
        super().__init__()
        self.b = b
        mid = b["midC"]
        if b["expand"]:
            self.conv_pw, self.bn1 = conv(b["inC"], mid, 1), nn.BatchNorm2d(mid)
            self.conv_dw, self.bn2 = conv(mid, mid, b["kernel"], b["stride"], mid), nn.BatchNorm2d(mid)
            self.se = SqueezeExcite(mid, b["seC"])
            self.conv_pwl, self.bn3 = conv(mid, b["outC"], 1), nn.BatchNorm2d(b["outC"])
        else:
            self.conv_dw, self.bn1 = conv(mid, mid, b["kernel"], b["stride"], mid), nn.BatchNorm2d(mid)
            self.se = SqueezeExcite(mid, b["seC"])
            self.conv_pw, self.bn2 = conv(mid, b["outC"], 1), nn.BatchNorm2d(b["outC"])

    def forward(self, x):
        act = nn.functional.silu
        if self.b["expand"]:
            y = act(self.bn1(self.conv_pw(x)))
            y = self.se(act(self.bn2(self.conv_dw(y))))
            y = self.bn3(self.conv_pwl(y))
        else:
            y = self.se(act(self.bn1(self.conv_dw(x))))
            y = self.bn2(self.conv_pw(y))
        return y + x if self.b["residual"] else y


class EfficientNet(nn.Module):
    def __init__(self, arch, in_chans=1):
        super().__init__()
        self.conv_stem, self.bn1 = conv(in_chans, arch["stem"], 3, 2), nn.BatchNorm2d(arch["stem"])
        stages = {}
        for b in arch["blocks"]:
            stages.setdefault(int(b["name"].split(".")[1]), []).append(Block(b))
        self.blocks = nn.Sequential(*[nn.Sequential(*stages[s]) for s in sorted(stages)])
        last = arch["blocks"][-1]["outC"] if arch["blocks"] else arch["stem"]
        self.conv_head, self.bn2 = conv(last, arch["features"], 1), nn.BatchNorm2d(arch["features"])
        self.embedding = nn.Linear(arch["features"], arch["embedding"])
        self.head = nn.Linear(arch["embedding"], 1)

    def forward(self, x):
        act = nn.functional.silu
        h = self.blocks(act(self.bn1(self.conv_stem(x))))
        h = act(self.bn2(self.conv_head(h))).mean((2, 3))
        return self.head(self.embedding(h)).squeeze(1)


def main():
    job = json.loads(sys.stdin.readline())
    if job.get("threads", 1):
        torch.set_num_threads(job.get("threads", 1))
    torch.manual_seed(0)
    arch = architecture(job["width"], job["depth"], job["embedding"])
    if "arch" in job and job["arch"] != arch:
        sys.exit(f"the TypeScript and Python architectures differ:\n{json.dumps(job['arch'])}\n{json.dumps(arch)}")
    model = EfficientNet(arch).train()
    fmt = torch.channels_last if job.get("channels_last") else torch.contiguous_format
    model = model.to(memory_format=fmt)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.999), weight_decay=5e-4)
    loss_fn = nn.BCEWithLogitsLoss()
    n, r = job["batch"], job["resolution"]
    x = torch.rand(n, 1, r, r).contiguous(memory_format=fmt)
    y = (torch.arange(n) % 2).float()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    step()  # warm-up: oneDNN primitives, first allocations
    params = sum(p.numel() for p in model.parameters())
    for line in sys.stdin:
        if line.strip() != "round":
            break
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(job["steps"]):
            step()
        ms = (time.perf_counter() - t0) * 1000 / job["steps"]
        cpu_ms = (time.process_time() - c0) * 1000 / job["steps"]
        print(json.dumps({**describe(), "threads": torch.get_num_threads(), "params": params,
                          "step_ms": ms, "cpu_ms": cpu_ms, "slices_per_s": n * 1000 / ms}), flush=True)


if __name__ == "__main__":
    main()
