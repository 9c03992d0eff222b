"""PyTorch CUDA side of bench/train/gpu.ts: the same CNN (cnn_torch.py's EfficientNet from the same
block rules), 4 x bi-LSTM and Swin (seq.py) on the GPU, fp32 (TF32 off, as WebGPU computes in fp32),
Adam with weight decay, binary cross-entropy with logits, random inputs.

Protocol (JSON lines): first reply {"torch", "cuda", "device"} (or {"error"}); then for each job
{"kind": "cnn"|"lstm"|"swin", "mode": "train"|"infer", "batch", "steps", "seconds", ...model fields}
one reply {"samples_per_s", "step_ms", "steps", "params"}: one warm-up step, then steps until
`steps` are done or `seconds` have passed (at least one), timed with torch.cuda.synchronize().
"""
import functools
import importlib.util
import json
import os
import sys
import time

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


@functools.cache
def load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def build(job):
    if job["kind"] == "cnn":
        cnn = load("cnn_torch")
        arch = cnn.architecture(job["width"], job["depth"], job["embedding"])
        if job["arch"] != arch:
            raise SystemExit(f"the TypeScript and Python CNN architectures differ:\n{json.dumps(job['arch'])}\n{json.dumps(arch)}")
        r = job["resolution"]
        return cnn.EfficientNet(arch), torch.rand(job["batch"], 1, r, r)
    seq = load("seq")
    torch.set_num_threads(os.cpu_count() or 1)  # seq.py holds the CPU bench to one thread
    if job["kind"] == "lstm":
        return seq.Lstm(job["input"], job["hidden"], job["layers"], job["head"]), torch.randn(job["batch"], job["length"], job["input"])
    keys = ("height", "width", "patch", "dim", "depths", "heads", "window")
    return seq.Swin(**{k: job[k] for k in keys}), torch.randn(job["batch"], job["height"], job["width"])


def run(job, dev):
    torch.manual_seed(0)
    model, x = build(job)
    model, x = model.to(dev), x.to(dev)
    y = (torch.arange(job["batch"], device=dev) % 2).float()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.999), weight_decay=5e-4)
    loss_fn = nn.BCEWithLogitsLoss()
    train = job["mode"] == "train"
    model.train(train)

    def step():
        if train:
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x), y).backward()
            opt.step()
        else:
            with torch.no_grad():
                torch.sigmoid(model(x))

    step()
    torch.cuda.synchronize()
    n, t0 = 0, time.perf_counter()
    while n < job["steps"] and (n == 0 or time.perf_counter() - t0 < job["seconds"]):
        step()
        torch.cuda.synchronize()
        n += 1
    ms = (time.perf_counter() - t0) * 1000 / n
    return {"samples_per_s": job["batch"] * 1000 / ms, "step_ms": ms, "steps": n, "params": sum(p.numel() for p in model.parameters())}


def main():
    if not torch.cuda.is_available():
        reply({"error": f"PyTorch {torch.__version__} sees no CUDA device"})
        return
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    dev = torch.device("cuda")
    reply({"torch": torch.__version__, "cuda": torch.version.cuda, "device": torch.cuda.get_device_name(0)})
    for line in sys.stdin:
        reply(run(json.loads(line), dev))


if __name__ == "__main__":
    main()
