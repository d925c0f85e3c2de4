"""Seed-batched networks: every tensor carries a leading *member* axis.

A member is one independent network. Policies have one member per run (seed);
critics, Z(s) and R(s,a) have ``runs * n`` members (2 per run in the paper).
One ``baddbmm`` per layer evaluates all members at once, so S seeds cost one
kernel launch per layer instead of S (paper Table 11: 2 x 256 ReLU MLPs).

Initialisation follows PyTorch's default ``nn.Linear`` (weights and biases
U(-1/sqrt(fan_in), 1/sqrt(fan_in))), drawn on the CPU from each run's own
generator, so a run's initial weights depend only on its seed and not on the
device or on which other seeds share the process.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0  # d3rlpy SquashedNormalPolicy clamp
ATANH_CLAMP = 0.999999  # d3rlpy clamps given actions before atanh
LOG_2PI = math.log(2 * math.pi)
LOG_2 = math.log(2.0)


class BatchedMLP(nn.Module):
    """``members`` independent MLPs evaluated with one ``baddbmm`` per layer.

    ``forward`` maps ``(members, batch, in_dim)`` to ``(members, batch, out_dim)``.
    ``init_generators`` holds one CPU generator per *run*; each run initialises
    its ``members // runs`` consecutive members from its own generator.
    """

    def __init__(self, in_dim: int, out_dim: int, hidden: tuple[int, ...],
                 init_generators: list[torch.Generator], members_per_run: int = 1):
        super().__init__()
        self.members_per_run = members_per_run
        self.members = len(init_generators) * members_per_run
        sizes = (in_dim, *hidden, out_dim)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            bound = 1.0 / math.sqrt(fan_in)
            w, b = [], []
            for g in init_generators:
                for _ in range(members_per_run):
                    # same draw order as nn.Linear: weight, then bias
                    w.append((torch.rand(fan_out, fan_in, generator=g) * 2 - 1) * bound)
                    b.append((torch.rand(fan_out, generator=g) * 2 - 1) * bound)
            self.weights.append(nn.Parameter(torch.stack(w).transpose(1, 2).contiguous()))  # (M, in, out)
            self.biases.append(nn.Parameter(torch.stack(b).unsqueeze(1)))  # (M, 1, out)

    def forward(self, x: Tensor, detach: bool = False) -> Tensor:
        """``detach=True`` uses the weights as constants (gradients reach ``x`` only)."""
        n = len(self.weights)
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            if detach:
                w, b = w.detach(), b.detach()
            x = torch.baddbmm(b, x, w)
            if i < n - 1:
                x = x.relu_()
        return x



# --------------------------------------------------------------------------------------
# Squashed Gaussian (MuJoCo) and plain Gaussian with state-independent sigma (AntMaze)
# --------------------------------------------------------------------------------------

def tanh_log_det_jacobian(u: Tensor) -> Tensor:
    """log |d tanh(u)/du| = 2(log 2 - u - softplus(-2u)), elementwise (numerically stable)."""
    return 2.0 * (LOG_2 - u - F.softplus(-2.0 * u))


def gaussian_log_density(u: Tensor, mean: Tensor, log_std: Tensor) -> Tensor:
    """Elementwise log N(u; mean, exp(log_std)^2)."""
    return -0.5 * ((u - mean) * torch.exp(-log_std)) ** 2 - log_std - 0.5 * LOG_2PI


def squashed_log_prob_from_raw(u: Tensor, mean: Tensor, log_std: Tensor) -> Tensor:
    """log pi(tanh(u)|s) from the pre-tanh value u, summed over action dims: (..., A) -> (...)."""
    return (gaussian_log_density(u, mean, log_std) - tanh_log_det_jacobian(u)).sum(-1)


class SquashedGaussianPolicy(nn.Module):
    """tanh(N(mu(s), sigma(s)^2)) with state-dependent log sigma clamped to [-20, 2].

    Matches d3rlpy 1.1 ``SquashedNormalPolicy`` (docs/fidelity.md §1):
    a sample's log-prob uses its raw pre-tanh value; a given action's log-prob clamps it
    to +-0.999999 and inverts with atanh. The deterministic action is tanh(mu).
    """

    squashed = True

    def __init__(self, obs_dim: int, act_dim: int, hidden: tuple[int, ...],
                 init_generators: list[torch.Generator]):
        super().__init__()
        self.act_dim = act_dim
        # One head of 2A outputs == d3rlpy's separate mu and log-std heads (same fan-in init).
        self.net = BatchedMLP(obs_dim, 2 * act_dim, hidden, init_generators)

    def distribution(self, obs: Tensor, detach: bool = False) -> tuple[Tensor, Tensor]:
        """Pre-tanh mean and clamped log std, each (runs, batch, A)."""
        mean, log_std = self.net(obs, detach=detach).chunk(2, dim=-1)
        return mean, log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)

    @staticmethod
    def rsample(mean: Tensor, log_std: Tensor, noise: Tensor) -> tuple[Tensor, Tensor]:
        """Reparameterised action and its log-prob (from the raw pre-tanh value), given N(0,1) ``noise``.

        (u - mean) / sigma is the noise itself, so the Gaussian part is -noise^2/2 - log sigma - log(2 pi)/2
        (what d3rlpy computes from u, with fewer operations on the hot path).
        """
        u = torch.addcmul(mean, log_std.exp(), noise)
        gauss = -0.5 * noise.pow(2) - 0.5 * LOG_2PI - log_std
        return torch.tanh(u), (gauss - tanh_log_det_jacobian(u)).sum(-1)

    def log_prob(self, obs: Tensor, action: Tensor, detach: bool = False) -> Tensor:
        """log pi(a|s) of given actions via clamp(+-0.999999) and atanh."""
        mean, log_std = self.distribution(obs, detach=detach)
        return self.log_prob_under(mean, log_std, action)

    @staticmethod
    def log_prob_under(mean: Tensor, log_std: Tensor, action: Tensor) -> Tensor:
        u = torch.atanh(action.clamp(-ATANH_CLAMP, ATANH_CLAMP))
        return squashed_log_prob_from_raw(u, mean, log_std)

    @staticmethod
    def shifted_log_prob(mean: Tensor, log_std: Tensor, shift: Tensor) -> Tensor:
        """Joint log-density at the pre-tanh point mean + shift (used by the beta clip)."""
        return squashed_log_prob_from_raw(mean + shift, mean, log_std)

    @staticmethod
    def mode(mean: Tensor) -> Tensor:
        """The deterministic action tanh(mu) from the distribution's mean."""
        return torch.tanh(mean)

    def deterministic(self, obs: Tensor) -> Tensor:
        return torch.tanh(self.distribution(obs)[0])


class GaussianPolicy(nn.Module):
    """N(tanh(mu(s)), sigma^2) with one state-independent log sigma per run, actions clamped to [-1, 1].

    d3rlpy ``NonSquashedNormalPolicy(min_logstd, max_logstd, use_std_parameter=True)``: log sigma =
    min + (max - min) sigmoid(theta), theta initialised to 0 (ACA on AntMaze: -5, 0; AWAC: -6, 0).
    log-probs are of the clamped action with no correction term.
    """

    squashed = False

    def __init__(self, obs_dim: int, act_dim: int, hidden: tuple[int, ...],
                 init_generators: list[torch.Generator], log_std_bounds: tuple[float, float] = (-5.0, 0.0)):
        super().__init__()
        self.act_dim = act_dim
        self.MIN_LOGSTD, self.MAX_LOGSTD = log_std_bounds  # ACA on AntMaze: (-5, 0); AWAC: (-6, 0)
        self.net = BatchedMLP(obs_dim, act_dim, hidden, init_generators)
        self.log_std_param = nn.Parameter(torch.zeros(len(init_generators), 1, act_dim))

    def distribution(self, obs: Tensor, detach: bool = False) -> tuple[Tensor, Tensor]:
        """Mean tanh(mu(s)) and log std, each (runs, batch, A)."""
        mean = torch.tanh(self.net(obs, detach=detach))
        theta = self.log_std_param.detach() if detach else self.log_std_param
        log_std = self.MIN_LOGSTD + (self.MAX_LOGSTD - self.MIN_LOGSTD) * torch.sigmoid(theta)
        return mean, log_std.expand_as(mean)

    @staticmethod
    def rsample(mean: Tensor, log_std: Tensor, noise: Tensor) -> tuple[Tensor, Tensor]:
        """Reparameterised action clamped to [-1, 1] and its log-prob."""
        a = (mean + log_std.exp() * noise).clamp(-1.0, 1.0)
        return a, gaussian_log_density(a, mean, log_std).sum(-1)

    def log_prob(self, obs: Tensor, action: Tensor, detach: bool = False) -> Tensor:
        mean, log_std = self.distribution(obs, detach=detach)
        return self.log_prob_under(mean, log_std, action)

    @staticmethod
    def log_prob_under(mean: Tensor, log_std: Tensor, action: Tensor) -> Tensor:
        return gaussian_log_density(action, mean, log_std).sum(-1)

    @staticmethod
    def shifted_log_prob(mean: Tensor, log_std: Tensor, shift: Tensor) -> Tensor:
        return gaussian_log_density(mean + shift, mean, log_std).sum(-1)

    @staticmethod
    def mode(mean: Tensor) -> Tensor:
        return mean

    def deterministic(self, obs: Tensor) -> Tensor:
        return self.distribution(obs)[0]


POLICIES = {"squashed": SquashedGaussianPolicy, "gaussian": GaussianPolicy}


def make_policy(kind: str, obs_dim: int, act_dim: int, hidden: tuple[int, ...],
                init_generators: list[torch.Generator], log_std_bounds: tuple[float, float] = (-5.0, 0.0)) -> nn.Module:
    if kind not in POLICIES:
        raise ValueError(f"unknown policy kind {kind!r}; valid: {sorted(POLICIES)}")
    if kind == "gaussian":
        return GaussianPolicy(obs_dim, act_dim, hidden, init_generators, tuple(log_std_bounds))
    return POLICIES[kind](obs_dim, act_dim, hidden, init_generators)


class DeterministicPolicy(nn.Module):
    """a = tanh(mu(s)) (TD3, TD3+BC; d3rlpy ``DeterministicPolicy``)."""

    def __init__(self, obs_dim: int, act_dim: int, hidden: tuple[int, ...], init_generators: list[torch.Generator]):
        super().__init__()
        self.act_dim = act_dim
        self.net = BatchedMLP(obs_dim, act_dim, hidden, init_generators)

    def forward(self, obs: Tensor) -> Tensor:
        return torch.tanh(self.net(obs))


# --------------------------------------------------------------------------------------
# Critics: Q(s,a) / R(s,a) ensembles and state baselines Z(s)
# --------------------------------------------------------------------------------------

class QEnsemble(nn.Module):
    """``n`` critics per run on cat([s, a]) (state first, as d3rlpy): (R, B, .) -> (R, n, B)."""

    def __init__(self, obs_dim: int, act_dim: int, hidden: tuple[int, ...],
                 init_generators: list[torch.Generator], n: int = 2):
        super().__init__()
        self.n, self.runs, self.obs_dim = n, len(init_generators), obs_dim
        self.net = BatchedMLP(obs_dim + act_dim, 1, hidden, init_generators, members_per_run=n)

    def forward(self, obs: Tensor, action: Tensor, detach: bool = False) -> Tensor:
        x = torch.cat([obs, action], dim=-1)  # (R, B, obs+act)
        r, b, d = x.shape
        x = x.unsqueeze(1).expand(r, self.n, b, d).reshape(r * self.n, b, d)
        return self.net(x, detach=detach).view(r, self.n, b)


class VEnsemble(nn.Module):
    """``n`` state-value networks per run (the baseline Z(s)): (R, B, obs) -> (R, n, B)."""

    def __init__(self, obs_dim: int, hidden: tuple[int, ...],
                 init_generators: list[torch.Generator], n: int = 2):
        super().__init__()
        self.n, self.runs = n, len(init_generators)
        self.net = BatchedMLP(obs_dim, 1, hidden, init_generators, members_per_run=n)

    def forward(self, obs: Tensor, detach: bool = False) -> Tensor:
        r, b, d = obs.shape
        x = obs.unsqueeze(1).expand(r, self.n, b, d).reshape(r * self.n, b, d)
        return self.net(x, detach=detach).view(r, self.n, b)


@torch.no_grad()
def q_from_baseline(z: VEnsemble, q: QEnsemble) -> None:
    """R <- Z (paper Sec. 5.3, Algorithm 2): copy Z's layers into R, action columns zero.

    Afterwards R_i(s, a) == Z_i(s) for every action (official ``critic_init``).
    """
    if z.n != q.n or z.runs != q.runs or len(z.net.weights) != len(q.net.weights):
        raise ValueError(f"Z ensemble ({z.runs} runs x {z.n}) does not fit R ({q.runs} runs x {q.n})")
    obs_dim = q.obs_dim
    for i, (wz, bz, wq, bq) in enumerate(zip(z.net.weights, z.net.biases, q.net.weights, q.net.biases)):
        if (i == 0 and (wz.shape[1] != obs_dim or wz.shape[2] != wq.shape[2])) or (i > 0 and wz.shape != wq.shape):
            raise ValueError(f"layer {i} of Z has shape {tuple(wz.shape[1:])}, R's has {tuple(wq.shape[1:])}: "
                             f"the online networks must have the offline run's sizes")
        if i == 0:
            wq[:, :obs_dim].copy_(wz)
            wq[:, obs_dim:].zero_()
        else:
            wq.copy_(wz)
        bq.copy_(bz)


def polyak_update(target: nn.Module, online: nn.Module, tau: float) -> None:
    """target <- (1 - tau) target + tau online, for every parameter."""
    with torch.no_grad():
        torch._foreach_lerp_(list(target.parameters()), list(online.parameters()), tau)


def clip_grad_norm_per_run(params: list[Tensor], max_norm: float, runs: int) -> Tensor:
    """``torch.nn.utils.clip_grad_norm_`` applied to each run's slice independently.

    Every parameter's leading axis is the run axis. Returns the per-run norms (runs,).
    """
    grads = [p.grad for p in params if p.grad is not None]
    norms, scales = per_run_clip_scales(grads, max_norm, runs)
    for g, scale in zip(grads, scales):
        g.mul_(scale)
    return norms


def per_run_clip_scales(grads: list[Tensor], max_norm: float, runs: int) -> tuple[Tensor, list[Tensor]]:
    """Per-run gradient norms (runs,) and, for each gradient, the factor that clips its run's norm to
    ``max_norm`` (shaped to broadcast over it), as ``torch.nn.utils.clip_grad_norm_`` per run."""
    norms = torch.stack([g.reshape(runs, -1).pow(2).sum(1) for g in grads]).sum(0).sqrt()
    scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    return norms, [scale.view(runs, *([1] * (g.dim() - 1))) for g in grads]
