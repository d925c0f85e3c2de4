"""The figure helpers place what they plot where the paper does."""
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from acalib.plots import plot_offline_online


def curve(steps, value) -> pd.DataFrame:
    return pd.DataFrame([(s, seed, value(s) + seed) for s in steps for seed in range(3)],
                        columns=["step", "seed", "normalized_score"])


def test_offline_and_online_halves_are_equally_wide_each_on_its_own_steps():
    offline = curve(range(5000, 200_001, 5000), lambda s: s / 2000)
    online = curve(range(0, 50_001, 1000), lambda s: 50 + s / 1000)
    fig, ax = plt.subplots()
    plot_offline_online(ax, offline, {"SAC→SAC": online}, "t")
    off_line, on_line = ax.get_lines()[0], ax.get_lines()[2]  # [offline, the switch, online]
    np.testing.assert_allclose(off_line.get_xdata()[[0, -1]], [1250, 50_000])  # 200k offline steps -> 50k wide
    np.testing.assert_allclose(off_line.get_ydata()[-1], 100 + 1)  # mean over the 3 seeds
    np.testing.assert_allclose(on_line.get_xdata()[[0, -1]], [50_000, 100_000])
    np.testing.assert_allclose(ax.get_lines()[1].get_xdata(), [50_000, 50_000])  # the switch
    labels = [(x, t.get_text()) for x, t in zip(ax.get_xticks(), ax.get_xticklabels())]
    assert labels == [(0, "0"), (25_000, "100k"), (50_000, "200k | 0"), (75_000, "25k"), (100_000, "50k")]
    plt.close(fig)


def test_online_curves_alone_keep_their_own_steps():
    fig, ax = plt.subplots()
    plot_offline_online(ax, None, {"SAC": curve(range(0, 3001, 500), lambda s: 1.0)}, "t")
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata()[[0, -1]], [0, 3000])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1.5k", "3k"]
    assert ax.get_xlabel() == "online environment steps"
    plt.close(fig)
