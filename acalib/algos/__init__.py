"""Every method, by the name the command line and run configs use."""
from .aca import ACA, ACAConfig, ACA_GROUPS, aca_config, aca_group
from .awac import AWAC, AWACConfig
from .br import BR, BRConfig
from .cql import CQL, CQLConfig
from .ensemble import CQLEnsemble, CQLEnsembleConfig, SACMLEnsemble, SACMLEnsembleConfig
from .td3_bc import TD3BC, TD3BCConfig
from .sac import SAC, SACConfig
from .sac_ml import SACML, SACMLConfig

OFFLINE_ALGOS = {"sac_ml": SACML, "cql": CQL, "awac": AWAC, "td3_bc": TD3BC,
                 "cql_ensemble": CQLEnsemble, "sac_ml_ensemble": SACMLEnsemble}  # the last two: for BR
# Ablations and variants: an online method's name -> (the method it runs, config fields it presets).
ONLINE_VARIANTS = {
    "aca_bc_only": ("aca", {"critic_update": "sac", "r_init": "offline_q"}),  # Fig. 7/16, Eq. 23-24
    "aca_r_init_q": ("aca", {"r_init": "offline_q"}),  # Fig. 7/16, Eq. 25-26
    "aca_delayed_pi": ("aca", {"reference_tau": 0.0005}),  # Fig. 8/17 (tau is a --set away)
    "sac_burn_in": ("sac", {"burn_in_steps": 50_000}),  # Fig. 14/15
}
ONLINE_ALGOS = {"aca": ACA, "sac": SAC, "awac": AWAC, "br": BR}
ONLINE_ALGOS.update({name: ONLINE_ALGOS[base] for name, (base, _) in ONLINE_VARIANTS.items()})
ALL_ALGOS = {**OFFLINE_ALGOS, **ONLINE_ALGOS}
# How each online method starts from an offline run, and from which: ``acalib.methods.ONLINE_METHODS``.


def offline_dataset_settings(algo: str, dataset: str) -> dict:
    """The settings an offline run of ``algo`` on ``dataset`` takes beyond its config's defaults (the caller's
    overrides still win). The official code reads one YAML per dataset group in both of its scripts
    (``configs/offline`` and ``configs/online``; every name containing "antmaze" uses ``antmaze.yaml``), so SAC+ML
    on AntMaze trains the policy ACA continues there: ACA's AntMaze group's non-squashed Gaussian with a
    state-independent sigma and target entropy -|A|/2 (``ACA_GROUPS["antmaze"]``, paper App. E.4). Offline
    rewards are not shifted (``run_sacml.py`` has no reward scaler; ACA's -1 is online only). Elsewhere: none."""
    if algo == "sac_ml" and "antmaze" in dataset.lower():  # as ``aca_group``'s rule, which refuses unknown names
        group = ACA_GROUPS["antmaze"]
        return {"policy": group.policy, "target_entropy_scale": group.target_entropy_scale}
    return {}


def online_method(name: str) -> tuple[str, dict]:
    """An online method's name -> the method it runs and the config fields it presets."""
    algo_class(name, ONLINE_ALGOS)
    return ONLINE_VARIANTS.get(name, (name, {}))


def algo_class(name: str, table: dict | None = None):
    table = ALL_ALGOS if table is None else table
    if name not in table:
        raise ValueError(f"unknown algorithm {name!r}; valid: {sorted(table)}")
    return table[name]
