"""Where and in which precision training runs: device, autocast dtype and CPU threads."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import torch

Device = Literal["auto", "cpu", "cuda"]  # auto = CUDA when present
Precision = Literal["auto", "fp32", "bf16", "fp16"]  # auto = bf16 where native, else fp32
DEVICES, PRECISIONS = get_args(Device), get_args(Precision)


def _cpu_has_native_bf16() -> bool:
    """True where the CPU computes bf16 natively (AVX512-BF16 or AMX), so autocast pays off."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


@dataclass(frozen=True)
class Runtime:
    """A resolved device and autocast dtype (``None`` means plain fp32)."""

    device: torch.device
    autocast_dtype: torch.dtype | None

    @classmethod
    def resolve(cls, device: str = "auto", precision: str = "auto") -> Runtime:
        if device not in DEVICES:
            raise ValueError(f"device must be one of {DEVICES}, got {device!r}")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("device 'cuda' was asked for, but PyTorch sees no CUDA GPU")
        if precision == "auto":
            if device == "cuda":
                precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
            else:
                precision = "bf16" if _cpu_has_native_bf16() else "fp32"
        if precision == "fp16" and device == "cpu":
            raise ValueError("fp16 autocast is for CUDA; use bf16 or fp32 on the CPU")
        dtypes = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
        return cls(torch.device(device), dtypes[precision])

    @property
    def precision(self) -> str:
        names = {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}
        return names[self.autocast_dtype]

    def autocast(self) -> contextlib.AbstractContextManager[object]:
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        # No cast cache: each weight is cast once per step anyway, and a CUDA graph cannot
        # capture a cache that outlives the step.
        return torch.autocast(self.device.type, dtype=self.autocast_dtype, cache_enabled=False)

    def grad_scaler(self) -> torch.amp.GradScaler:
        """fp16 gradients underflow without loss scaling; bf16 and fp32 need none."""
        return torch.amp.GradScaler(self.device.type, enabled=self.autocast_dtype == torch.float16)


def configure_threads(num_threads: int) -> None:
    """Use ``num_threads`` intra-op threads (0: one per available core)."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    torch.set_num_threads(num_threads or available or 1)
