"""A training step's forward and backward captured once as a CUDA graph, then replayed.

A small CNN's step on a GPU is about a hundred kernels of a few microseconds each: the host
launching them, not the GPU, sets the pace. Captured once, the augmentation, noise images,
forward pass, loss and backward pass of a full batch become one launch; the optimizer step
stays outside the graph, so the learning-rate and momentum schedule keep working as they do
on the CPU.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

StepBody = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


class CapturedStep:
    """``body(pixels, labels) -> (loss, logits)`` (ending in ``backward``) as a CUDA graph.

    Replays write the gradients into the same tensors each time: between replays they must
    not be set to None, and a step run outside the graph hands its gradients back through
    :meth:`keep_gradients`.
    """

    WARMUP_RUNS = 3  # cuDNN picks its kernels and the allocator settles before capture

    def __init__(
        self,
        model: nn.Module,
        body: StepBody,
        pixels: torch.Tensor,
        labels: torch.Tensor,
        generator: torch.Generator,
    ) -> None:
        self.pixels, self.labels = pixels.clone(), labels.clone()  # the graph's input buffers
        buffers = {name: value.clone() for name, value in model.named_buffers()}
        random_state = generator.get_state()
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(self.WARMUP_RUNS):
                model.zero_grad(set_to_none=True)
                body(self.pixels, self.labels)
        torch.cuda.current_stream().wait_stream(side)
        # The warm-up leaves no trace: batch-norm statistics and random draws as they were.
        with torch.no_grad():
            for name, value in model.named_buffers():
                value.copy_(buffers[name])
        generator.set_state(random_state)
        model.zero_grad(set_to_none=True)  # the captured backward allocates the gradients
        self.graph = torch.cuda.CUDAGraph()
        self.graph.register_generator_state(generator)
        with torch.cuda.graph(self.graph):
            self.loss, self.logits = body(self.pixels, self.labels)
        self.model = model
        self.gradients = [param.grad for param in model.parameters()]  # the graph's outputs

    def keep_gradients(self) -> None:
        """After an eager backward: its gradients into the tensors the graph writes."""
        with torch.no_grad():
            for param, held in zip(self.model.parameters(), self.gradients, strict=True):
                grad = param.grad
                if grad is not None and held is not None and grad is not held:
                    held.copy_(grad)  # autograd may have replaced the tensor
                    param.grad = held

    def __call__(
        self, pixels: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the captured step on a batch shaped like the one it was captured on."""
        self.pixels.copy_(pixels)
        self.labels.copy_(labels)
        self.graph.replay()
        return self.loss, self.logits
