#!/usr/bin/env python3
"""PyTorch side of bench/scale/embed.ts: the embedder's network (bench/train/cnn_torch.py, timm names)
in inference mode over `slices` 1-channel inputs, on `threads` threads.
Job: one JSON argument {width, depth, embedding, resolution, batch, slices, threads, weights, inputs}.
Writes the model's random weights (seed 0, BatchNorm running statistics moved off 0/1 so that they
matter) to `weights` as safetensors and the inputs (uniform [0, 1), seed 1) to `inputs` as raw
float32, NHWC = NCHW for one channel; then times one pass over them after a warm-up batch and prints
one JSON line: slices/s, the embeddings of the first batch (the TS side checks its own against
them: same network, same weights) and what this PyTorch is (torch_info.py)."""
import json
import pathlib
import sys
import time

import torch

here = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(here.parent / 'train'))
sys.path.insert(0, str(here.parent.parent / 'test' / 'fixtures' / 'safetensors'))
from cnn_torch import EfficientNet, architecture  # noqa: E402
from torch_info import describe  # noqa: E402
from writer import write_safetensors  # noqa: E402

job = json.loads(sys.argv[1])
torch.set_num_threads(job['threads'])
torch.manual_seed(0)
model = EfficientNet(architecture(job['width'], job['depth'], job['embedding']), in_chans=1)
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
model.eval()
write_safetensors(pathlib.Path(job['weights']), [(k, 'F32', v.numpy()) for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')])
g = torch.Generator().manual_seed(1)
r, n, b = job['resolution'], job['slices'], job['batch']
x = torch.rand(n, 1, r, r, generator=g)
x.numpy().tofile(job['inputs'])
seen = []
hook = model.embedding.register_forward_hook(lambda m, i, o: seen.append(o))
with torch.inference_mode():
    first = model(x[:b])
    hook.remove()
    t = time.perf_counter()
    for s in range(0, n, b):
        model(x[s:s + b])
    dt = time.perf_counter() - t
print(json.dumps({'slices_per_s': n / dt, 'seconds': dt, 'first_embeddings': seen[0].flatten().tolist(), 'torch': describe()}))
