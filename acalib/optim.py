"""Adam as tensor operations, for an update compiled as one program (``Agent.enable_compile``).

Inside ``torch.compile(agent._update, fullgraph=True)`` a ``backward()`` and a fused ``Adam.step()``
would each break the graph. The compiled update instead takes gradients with ``torch.autograd.grad``
(traced by dynamo with ``trace_autograd_ops``) and applies ``adam_step_``: the same arithmetic as
``torch.optim.Adam`` (L2 weight decay, bias corrections), in place on the optimiser's *own* state
tensors (``exp_avg``, ``exp_avg_sq``, ``step``), so checkpoints do not depend on the mode: a run
compiled until a kill resumes eagerly, and the reverse.
"""
from __future__ import annotations

import torch
from torch import Tensor

from .nets import per_run_clip_scales


def init_adam_state(opt: torch.optim.Adam) -> None:
    """Create the state ``torch.optim.Adam`` makes at its first step (zero moments, step 0), so that a
    compiled program finds it in place (Adam makes it lazily)."""
    for group in opt.param_groups:
        for p in group["params"]:
            state = opt.state[p]
            if not state:
                state["step"] = torch.zeros((), dtype=torch.float32, device=p.device if group.get("fused") else "cpu")
                state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)


def per_run_clip(grads: list[Tensor], max_norm: float, runs: int) -> list[Tensor]:
    """``nets.clip_grad_norm_per_run`` on a list of gradients (leading axis: the run axis), out of place."""
    return [g * scale for g, scale in zip(grads, per_run_clip_scales(grads, max_norm, runs)[1])]


@torch.no_grad()
def adam_step_(opt: torch.optim.Adam, grads: list[Tensor]) -> None:
    """One ``torch.optim.Adam`` step (one parameter group, amsgrad off) with the given gradients."""
    (group,) = opt.param_groups
    beta1, beta2 = group["betas"]
    lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
    for p, g in zip(group["params"], grads):
        state = opt.state[p]
        if weight_decay:
            g = g.add(p, alpha=weight_decay)
        state["step"].add_(1)
        step = state["step"].to(p.device)
        state["exp_avg"].lerp_(g, 1 - beta1)
        state["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
        bias1 = 1 - beta1 ** step
        bias2 = 1 - beta2 ** step
        denom = (state["exp_avg_sq"].sqrt() / bias2.sqrt()).add_(eps)
        p.sub_(lr / bias1 * state["exp_avg"] / denom)
