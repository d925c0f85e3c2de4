"""AWAC (Nair et al., 2020) as d3rlpy 1.1 runs it (the ACA paper's AWAC baseline; lambda = 1, Table 9)."""
from __future__ import annotations

import torch
from torch import Tensor


def awac_weights(q_data: Tensor, v: Tensor, lam: float = 1.0) -> Tensor:
    """Advantage weights B * softmax_batch((Q(s,a) - V(s)) / lambda), per run.

    d3rlpy 1.1 ``_compute_weights``: Q is the min over the critics at the dataset action, V(s) the
    mean of min-Q over actions sampled from the policy; the softmax runs over the batch, so the
    weights average to 1. ``q_data``, ``v``: (R, B), no gradient. Returns (R, B).
    """
    adv = (q_data - v).detach()
    return torch.softmax(adv / lam, dim=-1) * adv.shape[-1]


def awac_actor_loss(log_pi_data: Tensor, weights: Tensor) -> Tensor:
    """-sum_B w log pi(a|s) per run: d3rlpy 1.1 sums over the batch (not a mean)."""
    return -(log_pi_data * weights.detach()).sum(-1)
