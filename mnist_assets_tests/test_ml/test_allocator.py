import os
import subprocess
import sys

import pytest

# Five training steps of a network of the default's size at the default batch, after three to
# warm up; prints their minor page faults. A fresh interpreter each: the setting is process-wide.
STEPS = """
import resource, sys, torch
from mnist_assets.ml.training.allocator import keep_freed_memory
from mnist_assets.ml.training.model import CnnConfig, MnistCnn
if sys.argv[1] == "tuned":
    assert keep_freed_memory()
torch.set_num_threads(1)
model = MnistCnn(CnnConfig((32, 64), 5, hidden_units=128, dropout_rate=0.3, batch_norm=True))
model = model.to(memory_format=torch.channels_last)
pixels = torch.rand(128, 1, 28, 28).contiguous(memory_format=torch.channels_last)
def step():
    model.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        model(pixels).float().logsumexp(1).mean().backward()
step(); step(); step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


# glibc's default thresholds (128 KiB), held fixed: left dynamic, glibc raises them once the
# process frees a large mapped block, which made the default's faults depend on what ran before
# (once 0 instead of thousands).
GLIBC_DEFAULTS = "glibc.malloc.trim_threshold=131072:glibc.malloc.mmap_threshold=131072"


def _page_faults(setting: str) -> int:
    env = {**os.environ, "GLIBC_TUNABLES": GLIBC_DEFAULTS} if setting == "default" else None
    run = subprocess.run(
        [sys.executable, "-c", STEPS, setting], capture_output=True, text=True, check=True, env=env
    )
    return int(run.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a glibc setting")
def test_training_steps_reuse_freed_memory_instead_of_faulting_it_in() -> None:
    default, tuned = _page_faults("default"), _page_faults("tuned")
    # Default glibc gives each step's activations back to the kernel and faults them in
    # again (thousands of pages per step); tuned, the steps reuse what the last one freed.
    assert default > 5_000, default
    assert tuned < default / 5, (tuned, default)
