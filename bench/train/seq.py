#!/usr/bin/env python3
"""PyTorch side of bench/train/seq.ts: training steps of the two-step LSTM and Swin on the CPU, at the
thread count of argv[1] (0: PyTorch's default; seq.ts runs one process at 1 thread and one at the
machine's core count).

A line protocol on stdin/stdout (JSON per line), so that seq.ts can alternate its own steps with
these and both see the same load on a shared machine:
  {"config": {...}}  build the model of one of seq.ts's configs, take one warm-up step → {"ready": true}
  {"step": true}     one training step → {"cpu_ms": …, "wall_ms": …}
The first line it prints says what this PyTorch is (torch_info.py) and its thread count.
Models: nn.LSTM(E, H, num_layers, bidirectional=True, batch_first=True) → final states of both
directions → Linear → ReLU → Linear; the Swin of test/fixtures/seq/make-parity.py. Adam (lr 1e-4,
weight decay 5e-4), binary cross-entropy with logits, random inputs.
"""
import importlib.util
import json
import os
import sys
import time

import torch
import torch.nn as nn
from torch_info import describe

if int(sys.argv[1]):
    torch.set_num_threads(int(sys.argv[1]))
HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('parity', os.path.join(HERE, '../../test/fixtures/seq/make-parity.py'))
parity = importlib.util.module_from_spec(spec)
spec.loader.exec_module(parity)


class Lstm(nn.Module):
    def __init__(self, input, hidden, layers, head):
        super().__init__()
        self.lstm = nn.LSTM(input, hidden, num_layers=layers, bidirectional=True, batch_first=True)
        self.fc1 = nn.Linear(2 * hidden, head)
        self.fc2 = nn.Linear(head, 1)

    def forward(self, x):
        _, (h_n, _) = self.lstm(x)
        return self.fc2(torch.relu(self.fc1(torch.cat([h_n[-2], h_n[-1]], 1)))).squeeze(1)


class Swin(nn.Module):
    def __init__(self, **cfg):
        super().__init__()
        self.net = parity.Swin(**cfg)

    def forward(self, x):
        return self.net(x)[1]


def trainer(c):
    torch.manual_seed(0)
    if c['kind'] == 'lstm':
        m = Lstm(c['input'], c['hidden'], c['layers'], c['head'])
        x = torch.randn(c['batch'], c['length'], c['input'])
    else:
        m = Swin(height=c['height'], width=c['width'], patch=c['patch'], dim=c['dim'], depths=c['depths'], heads=c['heads'], window=c['window'])
        x = torch.randn(c['batch'], c['height'], c['width'])
    y = (torch.arange(c['batch']) % 2).float()
    opt = torch.optim.Adam(m.parameters(), lr=1e-4, weight_decay=5e-4)

    def step():
        opt.zero_grad()
        nn.functional.binary_cross_entropy_with_logits(m(x), y).backward()
        opt.step()
    return step


def reply(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


if __name__ == '__main__':
    step = None
    reply({**describe(), 'threads': torch.get_num_threads()})
    for line in sys.stdin:
        msg = json.loads(line)
        if 'config' in msg:
            step = trainer(msg['config'])
            step()
            reply({'ready': True})
        else:
            c0, w0 = time.process_time(), time.perf_counter()
            step()
            reply({'cpu_ms': (time.process_time() - c0) * 1000, 'wall_ms': (time.perf_counter() - w0) * 1000})
