"""What the PyTorch side of the training benches is: version, default thread count (before the
bench changes it), the build options that decide its CPU speed (torch.__config__.show(): BLAS,
oneDNN/MKL-DNN, OpenMP, CPU capability) and the BLAS library loaded at run time (Debian's torch
links libblas.so.3, which is whatever update-alternatives selects: the reference BLAS or
OpenBLAS), for bench/train/host.ts to print next to the figures."""
import os
import re

import torch

DEFAULT_THREADS = torch.get_num_threads()  # read at import, before a bench sets its own count


def describe():
    show = torch.__config__.show()
    keep = [ln.strip(" -") for ln in show.splitlines()
            if re.search(r"BLAS|MKL|oneDNN|OpenMP|CPU capability", ln) and "Build settings" not in ln]
    blas = re.search(r"BLAS_INFO=(\w+)", show)
    lapack = re.search(r"LAPACK_INFO=(\w+)", show)
    if blas:
        keep.append(f"BLAS_INFO={blas.group(1)}")
    if lapack:
        keep.append(f"LAPACK_INFO={lapack.group(1)}")
    torch.ones(2, 2) @ torch.ones(2, 2)  # loads the BLAS
    with open("/proc/self/maps") as maps:
        libs = sorted({ln.split()[-1] for ln in maps if re.search(r"blas|mkl", ln.split()[-1], re.I)})
    keep.append(f"BLAS loaded: {', '.join(os.path.realpath(p) for p in libs) or 'none seen'}")
    return {"torch": torch.__version__, "default_threads": DEFAULT_THREADS, "build": keep}
