"""Pure loss functions. Each takes tensors with a leading run axis and returns the per-run loss, shape
``(runs,)``, plus a small dict of per-run statistics. Summing the per-run losses before the gradient gives
every run exactly the gradient of its own loss, so seeds batched in one process stay independent.

Equation index (what each paper numbers, and where acalib computes it; docs/fidelity.md compares the paper,
the authors' code and acalib term by term):

ACA paper (Yu & Zhang, ICML 2023)
    Eq. 1   SAC critic and actor ............. sac.sac_critic_target, common.critic_loss, sac.sac_actor_loss
    Eq. 4   SAC+ML actor, lambda = w/mean|Q| .. sac_ml.sac_ml_actor_loss
    Eq. 5   clipped double-Q critic target .... sac.sac_critic_target (min over the critics)
    Eq. 6   temperature ....................... common.temperature_loss (form "log_alpha" official, "alpha" literal)
    Eq. 8   Z(s) baseline regression .......... sac_ml.baseline_loss (sac_ml.floor_log_pi: CQL->ACA, Sec. 6.3)
    Eq. 9   Z(s) soft Bellman target .......... sac_ml.baseline_target (form "official" / "paper")
    Eq. 12-14  beta-clip bound C_beta(s) ...... aca.beta_clip_bound, aca.beta_clip
    Eq. 18-19  aligned critic, k schedule ..... aca.aligned_q, aca.interpolation_weight
    Eq. 20-22  ACA online critic/target/actor . aca.aca_critic_target, common.critic_loss, sac.sac_actor_loss
    Eq. 23-26  ablations (BC only, R <- Q) .... sac.*, aca.* with the ablation's settings (algos/aca.py)
CQL (Kumar et al., NeurIPS 2020), CQL(H) with Lagrange alpha'
                                                cql.cql_logsumexp_gap, cql.conservative_penalty,
                                                cql.conservative_alpha_loss, cql.uniform_log_density
AWAC (Nair et al., 2020), advantage-weighted actor
                                                awac.awac_weights, awac.awac_actor_loss
TD3+BC (Fujimoto & Gu, NeurIPS 2021), policy objective with lambda = alpha/mean|Q|; TD3's target smoothing
                                                td3_bc.td3bc_actor_loss, td3_bc.smoothed_target_action
Balanced Replay (Lee et al., CoRL 2021), density ratio by a JS f-divergence bound, priorities, ensemble
                                                br.js_density_ratio_loss, br.balanced_priority, br.moment_match,
                                                br.ensemble_critic_target, br.ensemble_critic_loss,
                                                br.ensemble_actor_loss
"""
from . import aca, awac, br, common, cql, sac, sac_ml, td3_bc  # noqa: F401  (``losses.sac.sac_actor_loss`` ...)
