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

# Table 6 (App. C.1): offline normalized score at the last evaluation, (mean, std) over 5 seeds.
# "td3_bc" was copied by the paper from Fujimoto & Gu (2021), App. C.3; "sac_ml" is the paper's own SAC+ML.
TABLE6 = {
    ("halfcheetah", "random"): {"td3_bc": (11.0, 1.1), "sac_ml": (17.3, 2.7)},
    ("hopper", "random"): {"td3_bc": (8.5, 0.6), "sac_ml": (7.9, 0.3)},
    ("walker2d", "random"): {"td3_bc": (1.6, 1.7), "sac_ml": (3.4, 2.1)},
    ("halfcheetah", "medium"): {"td3_bc": (48.3, 0.3), "sac_ml": (46.3, 0.2)},
    ("hopper", "medium"): {"td3_bc": (59.3, 4.2), "sac_ml": (54.3, 3.4)},
    ("walker2d", "medium"): {"td3_bc": (83.7, 2.1), "sac_ml": (81.2, 1.6)},
    ("halfcheetah", "medium-replay"): {"td3_bc": (44.6, 0.5), "sac_ml": (42.5, 1.7)},
    ("hopper", "medium-replay"): {"td3_bc": (60.9, 18.8), "sac_ml": (48.8, 20.4)},
    ("walker2d", "medium-replay"): {"td3_bc": (81.8, 5.5), "sac_ml": (62.2, 4.9)},
    ("halfcheetah", "medium-expert"): {"td3_bc": (90.7, 4.3), "sac_ml": (93.5, 4.0)},
    ("hopper", "medium-expert"): {"td3_bc": (98.0, 9.4), "sac_ml": (93.1, 7.8)},
    ("walker2d", "medium-expert"): {"td3_bc": (110.1, 0.5), "sac_ml": (108.1, 1.6)},
    ("halfcheetah", "expert"): {"td3_bc": (96.7, 1.1), "sac_ml": (93.6, 0.8)},
    ("hopper", "expert"): {"td3_bc": (107.8, 7.0), "sac_ml": (110.9, 1.6)},
    ("walker2d", "expert"): {"td3_bc": (110.2, 0.3), "sac_ml": (108.2, 0.3)},
}
TABLE6_METHODS = {"td3_bc": "TD3+BC", "sac_ml": "SAC+ML"}
TABLE6_SOURCES = {"td3_bc": "paper: Fujimoto & Gu 2021", "sac_ml": "paper"}  # whose numbers, for column labels
TABLE6_TOTALS = {"td3_bc": 1013.2, "sac_ml": 971.3}

# Table 3 / Table 8 (Sec. 6.2, App. C.3): 200k online steps, 10 seeds. For each method the offline
# score (mean, std), the score after 200k online steps (mean, std) and the increase δ as printed.
# "iql" and "odt" were copied by the paper from Zheng et al. (2022, Online Decision Transformer);
# "aca" is the paper's SAC+ML offline -> SAC->ACA.
TABLE8 = {
    ("halfcheetah", "medium"): {"iql": ((47.37, 0.20), (47.41, 0.15), 0.04), "odt": ((42.72, 0.46), (42.16, 1.48), -0.56),
                                "aca": ((46.40, 0.30), (72.67, 3.01), 26.28)},
    ("hopper", "medium"): {"iql": ((63.81, 9.15), (66.79, 4.07), 2.98), "odt": ((66.95, 3.26), (97.54, 2.10), 30.59),
                           "aca": ((56.93, 4.12), (99.32, 7.82), 42.39)},
    ("walker2d", "medium"): {"iql": ((79.89, 3.06), (80.33, 2.33), 0.44), "odt": ((72.19, 6.49), (76.79, 2.30), 4.60),
                             "aca": ((79.36, 2.25), (76.05, 20.57), -3.30)},
    ("halfcheetah", "medium-replay"): {"iql": ((44.10, 1.14), (44.14, 0.30), 0.04),
                                       "odt": ((39.99, 0.68), (40.42, 1.61), 0.43),
                                       "aca": ((42.18, 0.53), (64.29, 2.97), 22.11)},
    ("hopper", "medium-replay"): {"iql": ((92.13, 10.43), (96.23, 4.35), 4.10),
                                  "odt": ((86.64, 5.41), (88.89, 6.33), 2.25),
                                  "aca": ((49.25, 6.08), (103.17, 3.08), 53.92)},
    ("walker2d", "medium-replay"): {"iql": ((73.67, 6.37), (70.55, 5.81), -3.12),
                                    "odt": ((68.92, 4.79), (76.86, 4.04), 7.94),
                                    "aca": ((63.20, 10.12), (82.09, 27.66), 18.89)},
    ("antmaze", "umaze"): {"iql": ((87.1, 2.81), (89.5, 5.43), 2.4), "odt": ((53.1, 4.21), (88.5, 5.88), 35.4),
                           "aca": ((58.0, 14.70), (93.0, 11.87), 35.0)},
    # ODT's δ is printed as 7.99 (Table 8) although 56.0 - 50.2 = 5.8; kept as printed.
    ("antmaze", "umaze-diverse"): {"iql": ((64.4, 8.95), (56.8, 6.42), -7.6), "odt": ((50.2, 5.69), (56.0, 5.69), 7.99),
                                   "aca": ((40.0, 11.83), (67.0, 30.68), 27.0)},
}
TABLE8_METHODS = {"iql": "IQL (Zheng et al. 2022, via the paper)", "odt": "ODT (Zheng et al. 2022, via the paper)",
                  "aca": "SAC→ACA"}
TABLE8_ONLINE_STEPS = 200_000
TABLE8_TOTALS = {"locomotion": {"iql": (400.97, 405.45, 4.48), "odt": (377.41, 422.66, 45.25),
                                "aca": (337.31, 497.58, 160.27)},
                 "antmaze": {"iql": (151.5, 146.3, -5.2), "odt": (103.3, 144.5, 43.39), "aca": (98.0, 160.0, 62.0)}}

# Table 4 (App. C.4): SAC->ACA after 100k online steps with and without offline data, (score, delta).
TABLE4 = {
    ("halfcheetah", "medium-replay"): {"with": (59.03, 16.50), "without": (59.48, 16.95)},
    ("hopper", "medium-replay"): {"with": (85.54, 36.72), "without": (77.19, 28.37)},
    ("walker2d", "medium-replay"): {"with": (85.17, 22.98), "without": (84.27, 22.08)},
    ("halfcheetah", "medium-expert"): {"with": (93.74, 0.21), "without": (93.81, 0.28)},
    ("hopper", "medium-expert"): {"with": (98.02, 4.94), "without": (105.67, 12.59)},
    ("walker2d", "medium-expert"): {"with": (110.54, 2.42), "without": (110.93, 2.81)},
    ("halfcheetah", "expert"): {"with": (93.14, -0.46), "without": (90.76, -2.83)},
    ("hopper", "expert"): {"with": (110.21, -0.67), "without": (109.22, -1.66)},
    ("walker2d", "expert"): {"with": (109.59, 1.38), "without": (110.52, 2.31)},
}
TABLE4_TOTALS = {"with": (844.98, 84.02), "without": (841.84, 80.88)}

# Table 7 (App. C.2): 500k online steps. "awac" = (offline, online, delta), copied by the paper from
# Nair et al. (2020); "aca" = (SAC+ML offline, SAC->ACA at 500k mean, std, delta), the paper's own.
TABLE7 = {
    ("halfcheetah", "random"): {"awac": (2.2, 52.9, 50.7), "aca": (17.29, 96.42, 3.11, 79.13)},
    ("halfcheetah", "medium"): {"awac": (37.4, 41.1, 3.7), "aca": (46.33, 87.55, 2.33, 41.22)},
    ("halfcheetah", "medium-expert"): {"awac": (36.8, 41.0, 4.2), "aca": (93.53, 94.83, 0.51, 1.30)},
    ("halfcheetah", "expert"): {"awac": (78.5, 105.6, 27.1), "aca": (93.59, 94.46, 0.87, 0.87)},
    ("hopper", "random"): {"awac": (9.6, 62.8, 53.2), "aca": (7.93, 94.69, 23.90, 86.76)},
    ("hopper", "medium"): {"awac": (72.0, 91.0, 19.0), "aca": (54.31, 103.35, 0.23, 49.05)},
    ("hopper", "medium-expert"): {"awac": (80.9, 111.9, 31.0), "aca": (93.08, 109.09, 2.25, 16.01)},
    ("hopper", "expert"): {"awac": (85.2, 111.8, 26.6), "aca": (110.88, 111.02, 0.58, 0.14)},
    ("walker2d", "random"): {"awac": (5.1, 11.7, 6.6), "aca": (3.36, 76.34, 8.18, 72.98)},
    ("walker2d", "medium"): {"awac": (30.1, 79.1, 49.0), "aca": (81.16, 88.65, 3.22, 7.49)},
    ("walker2d", "medium-expert"): {"awac": (42.7, 78.3, 35.6), "aca": (108.12, 112.10, 0.71, 3.98)},
    ("walker2d", "expert"): {"awac": (57.0, 103.0, 46.0), "aca": (108.21, 105.82, 7.92, -2.39)},
}
TABLE7_ONLINE_STEPS = 500_000
TABLE7_LEVELS = ("random", "medium", "medium-expert", "expert")  # the paper's Table 7 has no medium-replay
TABLE7_TOTALS = {"awac": (537.5, 890.2, 352.7), "aca": (817.79, 1174.33, 356.53)}
