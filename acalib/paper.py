"""Numbers reported in the paper (Yu & Zhang, ICML 2023), transcribed from its tables.

Only ever shown as the "paper" column beside acalib's own results. D4RL normalized scores
(x100) on the -v2 datasets, mean over 5 seeds. Each value is (score, delta), delta being the
increase over the end of offline training.
"""

# Table 2: normalized score after 100k online steps, (score, delta).
TABLE2 = {
    ("halfcheetah", "random"): {"sac_to_sac": (54.6, 37.31), "cql_to_sac": (54.0, 28.7), "awac": (34.26, 18.94), "cql_to_br": (84.36, 59.06), "sac_to_aca": (72.6, 55.31)},
    ("hopper", "random"): {"sac_to_sac": (17.62, 9.69), "cql_to_sac": (1.37, 0.72), "awac": (16.85, 3.03), "cql_to_br": (29.8, 29.15), "sac_to_aca": (81.85, 73.92)},
    ("walker2d", "random"): {"sac_to_sac": (3.86, 0.5), "cql_to_sac": (3.91, 3.25), "awac": (4.15, -0.58), "cql_to_br": (10.05, 9.39), "sac_to_aca": (12.42, 9.06)},
    ("halfcheetah", "medium"): {"sac_to_sac": (75.2, 28.86), "cql_to_sac": (69.52, 21.1), "awac": (50.48, 1.54), "cql_to_br": (82.95, 34.52), "sac_to_aca": (66.58, 20.25)},
    ("hopper", "medium"): {"sac_to_sac": (73.39, 19.08), "cql_to_sac": (89.77, 16.3), "awac": (97.53, 24.48), "cql_to_br": (98.14, 24.67), "sac_to_aca": (96.54, 42.24)},
    ("walker2d", "medium"): {"sac_to_sac": (79.63, -1.53), "cql_to_sac": (81.78, -0.7), "awac": (1.93, -0.54), "cql_to_br": (76.36, -6.11), "sac_to_aca": (74.66, -6.5)},
    ("halfcheetah", "medium-replay"): {"sac_to_sac": (68.9, 26.37), "cql_to_sac": (63.91, 18.01), "awac": (46.84, 2.42), "cql_to_br": (78.36, 32.46), "sac_to_aca": (59.03, 16.5)},
    ("hopper", "medium-replay"): {"sac_to_sac": (74.04, 25.22), "cql_to_sac": (92.01, -3.95), "awac": (95.98, 0.0), "cql_to_br": (97.25, 1.28), "sac_to_aca": (85.54, 36.72)},
    ("walker2d", "medium-replay"): {"sac_to_sac": (85.4, 23.21), "cql_to_sac": (79.28, 0.89), "awac": (80.81, 2.97), "cql_to_br": (100.06, 21.68), "sac_to_aca": (85.17, 22.98)},
    ("halfcheetah", "medium-expert"): {"sac_to_sac": (82.15, -11.38), "cql_to_sac": (93.94, 28.75), "awac": (68.75, 32.3), "cql_to_br": (96.35, 31.17), "sac_to_aca": (93.74, 0.21)},
    ("hopper", "medium-expert"): {"sac_to_sac": (65.44, -27.64), "cql_to_sac": (80.46, -13.26), "awac": (73.13, 47.5), "cql_to_br": (78.51, -15.22), "sac_to_aca": (98.02, 4.94)},
    ("walker2d", "medium-expert"): {"sac_to_sac": (87.18, -20.95), "cql_to_sac": (107.03, -2.63), "awac": (45.21, 4.45), "cql_to_br": (104.43, -5.22), "sac_to_aca": (110.54, 2.42)},
    ("halfcheetah", "expert"): {"sac_to_sac": (38.17, -55.42), "cql_to_sac": (94.88, -0.98), "awac": (21.23, 14.83), "cql_to_br": (97.67, 1.82), "sac_to_aca": (93.14, -0.46)},
    ("hopper", "expert"): {"sac_to_sac": (28.2, -82.68), "cql_to_sac": (94.56, -13.95), "awac": (57.97, -12.85), "cql_to_br": (79.32, -29.19), "sac_to_aca": (110.21, -0.67)},
    ("walker2d", "expert"): {"sac_to_sac": (67.76, -40.45), "cql_to_sac": (81.92, -27.24), "awac": (110.68, 0.8), "cql_to_br": (110.65, 1.5), "sac_to_aca": (109.59, 1.38)},
}
TABLE2_METHODS = {"sac_to_sac": "SAC→SAC", "cql_to_sac": "CQL→SAC", "awac": "AWAC", "cql_to_br": "CQL→BR",
                  "sac_to_aca": "SAC→ACA"}
TABLE2_TOTALS = {"sac_to_sac": (901.54, -69.80), "cql_to_sac": (1088.33, 55.03), "awac": (805.80, 139.29),
                 "cql_to_br": (1224.26, 190.94), "sac_to_aca": (1249.65, 278.31)}
