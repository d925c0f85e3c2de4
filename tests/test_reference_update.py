"""One SAC / SAC+ML / ACA update against a plain single-run re-implementation with nn.Linear
networks and torch.distributions, written from the paper's equations and the official code."""
import copy

import torch
from torch import nn
from torch.distributions import Normal

from acalib.algos import ACA, SAC, SACML, SACConfig, SACMLConfig, aca_config
from acalib.data.buffers import ReplayBuffer

CFG = dict(hidden=(32, 32), batch_size=64)


def to_sequential(mlp, member):
    layers = []
    for i, (w, b) in enumerate(zip(mlp.weights, mlp.biases)):
        lin = nn.Linear(w.shape[1], w.shape[2])
        with torch.no_grad():
            lin.weight.copy_(w[member].T)
            lin.bias.copy_(b[member, 0])
        layers += [lin, nn.ReLU()] if i < len(mlp.weights) - 1 else [lin]
    return nn.Sequential(*layers)


def squashed_log_prob(mean, log_std, u):
    return (Normal(mean, log_std.exp()).log_prob(u) - torch.log(1 - torch.tanh(u) ** 2 + 1e-12)).sum(-1)


class Ref:
    """Reference single-run networks copied from run 0 of an agent."""

    def __init__(self, agent):
        self.actor = to_sequential(agent.actor.net, 0)
        self.q = [to_sequential(agent.critic.net, i) for i in range(2)]
        self.q_targ = [to_sequential(agent.critic_target.net, i) for i in range(2)]
        self.log_alpha = nn.Parameter(agent.log_alpha.detach()[:1].clone())
        adam = dict(lr=3e-4, betas=(0.9, 0.999), eps=1e-8)
        self.opt_actor = torch.optim.Adam(self.actor.parameters(), **adam)
        self.opt_q = torch.optim.Adam([p for q in self.q for p in q.parameters()], **adam)
        self.opt_alpha = torch.optim.Adam([self.log_alpha], **adam)
        self.A = agent.act_dim

    def dist(self, actor, s):
        mean, log_std = actor(s).chunk(2, -1)
        return mean, log_std.clamp(-20, 2)

    def temperature(self, lp):
        loss = -(self.log_alpha * (lp.detach() - self.A)).mean()  # target entropy -|A|
        self.opt_alpha.zero_grad()
        loss.backward()
        self.opt_alpha.step()
        return self.log_alpha.detach().exp()

    def step(self, opt, loss):
        opt.zero_grad()
        loss.backward()
        opt.step()

    def polyak(self):
        with torch.no_grad():
            for q, qt in zip(self.q, self.q_targ):
                for p, pt in zip(q.parameters(), qt.parameters()):
                    pt.mul_(0.995).add_(0.005 * p)


def draw_noise(agent, batch):
    """The agent's next two noise draws (at s, then at s'), without consuming its stream."""
    g = agent.noise_generators[0]
    state = g.get_state()
    n1 = torch.randn(batch, agent.act_dim, generator=g)
    n2 = torch.randn(batch, agent.act_dim, generator=g)
    g.set_state(state)
    return n1, n2


def batch_of(transitions, agent):
    buf = ReplayBuffer.from_transitions(transitions, 1)
    b = buf.sample(agent.config.batch_size, [torch.Generator().manual_seed(7)])
    return b, tuple(x[0] for x in b)


def compare(agent, ref):
    torch.testing.assert_close(to_sequential(agent.actor.net, 0)[0].weight, ref.actor[0].weight, atol=1e-5, rtol=1e-4)
    for i in range(2):
        torch.testing.assert_close(agent.critic.net.weights[0][i].T, ref.q[i][0].weight, atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(agent.critic_target.net.weights[2][i].T, ref.q_targ[i][4].weight,
                                   atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(agent.log_alpha.detach(), ref.log_alpha.detach())


def test_sac_update_matches_reference(transitions):
    agent = SAC(SACConfig(**CFG), transitions.obs_dim, transitions.act_dim, [0])
    ref = Ref(agent)
    batch, (s, a, r, s2, d) = batch_of(transitions, agent)
    n1, n2 = draw_noise(agent, len(s))
    for _ in range(2):  # two updates: the second runs on moved weights and Adam moments
        agent.update(batch)
        mean, log_std = ref.dist(ref.actor, s)
        u = mean + log_std.exp() * n1
        lp = squashed_log_prob(mean, log_std, u)
        alpha = ref.temperature(lp)
        with torch.no_grad():
            m2, ls2 = ref.dist(ref.actor, s2)
            u2 = m2 + ls2.exp() * n2
            a2 = torch.tanh(u2)
            q2 = torch.min(*[q(torch.cat([s2, a2], -1)).squeeze(-1) for q in ref.q_targ])
            y = r + 0.99 * (1 - d) * (q2 - alpha * squashed_log_prob(m2, ls2, u2))
        ref.step(ref.opt_q, sum(((q(torch.cat([s, a], -1)).squeeze(-1) - y) ** 2).mean() for q in ref.q))
        frozen = [copy.deepcopy(q).requires_grad_(False) for q in ref.q]
        q_pi = torch.min(*[q(torch.cat([s, torch.tanh(u)], -1)).squeeze(-1) for q in frozen])
        ref.step(ref.opt_actor, (alpha * lp - q_pi).mean())
        ref.polyak()
        n1, n2 = draw_noise(agent, len(s))
    compare(agent, ref)


def test_sac_ml_actor_and_z_match_reference(transitions):
    agent = SACML(SACMLConfig(**CFG), transitions.obs_dim, transitions.act_dim, [0])
    ref = Ref(agent)
    z = [to_sequential(agent.baseline.net, i) for i in range(2)]
    opt_z = torch.optim.Adam([p for m in z for p in m.parameters()], lr=3e-4)
    batch, (s, a, r, s2, d) = batch_of(transitions, agent)
    n1, n2 = draw_noise(agent, len(s))
    agent.update(batch)

    mean, log_std = ref.dist(ref.actor, s)
    u = mean + log_std.exp() * n1
    lp = squashed_log_prob(mean, log_std, u)
    alpha = ref.temperature(lp)
    with torch.no_grad():
        m2, ls2 = ref.dist(ref.actor, s2)
        u2 = m2 + ls2.exp() * n2
        lp2 = squashed_log_prob(m2, ls2, u2)
        q2 = torch.min(*[q(torch.cat([s2, torch.tanh(u2)], -1)).squeeze(-1) for q in ref.q_targ])
        y = r + 0.99 * (1 - d) * (q2 - alpha * lp2)
    ref.step(ref.opt_q, sum(((q(torch.cat([s, a], -1)).squeeze(-1) - y) ** 2).mean() for q in ref.q))
    u_data = torch.atanh(a.clamp(-0.999999, 0.999999))
    with torch.no_grad():  # official Z loss: log pi(a|s) + Z_i(s) against r + g(1-d)[lp' + min Z(s') - alpha lp']
        lp_data = squashed_log_prob(mean, log_std, u_data)
        yz = r + 0.99 * (1 - d) * (lp2 + torch.min(*[m(s2).squeeze(-1) for m in z]) - alpha * lp2)
    opt_z.zero_grad()
    sum(((lp_data + m(s).squeeze(-1) - yz) ** 2).mean() for m in z).backward()
    opt_z.step()
    frozen = [copy.deepcopy(q).requires_grad_(False) for q in ref.q]
    q_pi = torch.min(*[q(torch.cat([s, torch.tanh(u)], -1)).squeeze(-1) for q in frozen])
    lam = 30.0 / q_pi.abs().mean().detach()
    ref.step(ref.opt_actor, lam * (alpha * lp - q_pi).mean() - squashed_log_prob(mean, log_std, u_data).mean())
    compare(agent, ref)
    for i in range(2):
        torch.testing.assert_close(agent.baseline.net.weights[0][i].T, z[i][0].weight, atol=1e-5, rtol=1e-4)


def test_aca_update_matches_reference(transitions):
    off = SACML(SACMLConfig(**CFG), transitions.obs_dim, transitions.act_dim, [0])
    batch, (s, a, r, s2, d) = batch_of(transitions, off)
    off.update(batch)
    config = aca_config("medium", base=off.config, batch_size=CFG["batch_size"], keep_offline_adam_state=False)
    agent = ACA.from_offline(off, config)
    ref = Ref(agent)  # actor = pi, q = R (from Z), log_alpha = 0
    pi0 = copy.deepcopy(ref.actor).requires_grad_(False)
    beta, k = config.beta, 1.0
    n1, n2 = draw_noise(agent, len(s))
    agent.update(batch)

    def clipped(state, action_u):
        m0, ls0 = ref.dist(pi0, state)
        sig = ls0.exp()
        bound = torch.minimum(squashed_log_prob(m0, ls0, m0 - beta * sig), squashed_log_prob(m0, ls0, m0 + beta * sig))
        return nn.functional.softplus(squashed_log_prob(m0, ls0, action_u) - bound) + bound

    mean, log_std = ref.dist(ref.actor, s)
    u = mean + log_std.exp() * n1
    lp = squashed_log_prob(mean, log_std, u)
    alpha = ref.temperature(lp)
    with torch.no_grad():
        m2, ls2 = ref.dist(ref.actor, s2)
        u2 = m2 + ls2.exp() * n2
        r2 = torch.min(*[q(torch.cat([s2, torch.tanh(u2)], -1)).squeeze(-1) for q in ref.q_targ])
        y = r + 0.99 * (1 - d) * (r2 + k * clipped(s2, u2) - alpha * squashed_log_prob(m2, ls2, u2))
        c_data = clipped(s, torch.atanh(a.clamp(-0.999999, 0.999999)))
    ref.step(ref.opt_q, sum(((q(torch.cat([s, a], -1)).squeeze(-1) + k * c_data - y) ** 2).mean() for q in ref.q))
    frozen = [copy.deepcopy(q).requires_grad_(False) for q in ref.q]
    a_pi = torch.tanh(u)
    q_pi = torch.min(*[q(torch.cat([s, a_pi], -1)).squeeze(-1) for q in frozen]) \
        + k * clipped(s, torch.atanh(a_pi.clamp(-0.999999, 0.999999)))
    ref.opt_actor.zero_grad()
    (alpha * lp - q_pi).mean().backward()
    nn.utils.clip_grad_norm_(ref.actor.parameters(), 0.25)
    ref.opt_actor.step()
    ref.polyak()
    compare(agent, ref)
