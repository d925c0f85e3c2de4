"""Every method, by the name the command line and run configs use."""
from .aca import ACA, ACAConfig, ACA_GROUPS, aca_config, aca_group
from .awac import AWAC, AWACConfig
from .cql import CQL, CQLConfig
from .td3_bc import TD3BC, TD3BCConfig
from .sac import SAC, SACConfig
from .sac_ml import SACML, SACMLConfig

OFFLINE_ALGOS = {"sac_ml": SACML, "cql": CQL, "awac": AWAC, "td3_bc": TD3BC}
ONLINE_ALGOS = {"aca": ACA, "sac": SAC}
ALL_ALGOS = {**OFFLINE_ALGOS, **ONLINE_ALGOS}


def algo_class(name: str, table: dict | None = None):
    table = ALL_ALGOS if table is None else table
    if name not in table:
        raise ValueError(f"unknown algorithm {name!r}; valid: {sorted(table)}")
    return table[name]
