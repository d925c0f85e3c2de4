"""The figure and table helpers place and compute what they show as the paper does."""
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


def test_critic_scale_flags_a_critic_above_r_max_over_one_minus_gamma():
    from acalib.data.buffers import Transitions
    from acalib.tables import critic_scale
    data = Transitions(np.zeros((3, 1)), np.zeros((3, 1)), [1.0, 2.0, 1.0], np.zeros((3, 1)),
                       [False, False, True], [False] * 3)
    metrics = lambda q: pd.DataFrame({"step": [5, 10, 10], "seed": [0, 0, 1], "normalized_score": [1.0, 4.0, 6.0],
                                      "q_mean": [0.0, q, q + 2]})
    frame = critic_scale({"ok": (metrics(3.0), data, 0.5), "diverged": (metrics(4.0), data, 0.5)})
    assert frame.loc["ok", "normalized score"] == 5.0 and frame.loc["ok", "critic mean Q"] == 4.0
    assert frame.loc["ok", "largest return-to-go in the data"] == 2 + 0.5 * 1  # from t = 1 (t = 0: 2.25)
    assert frame.loc["ok", "r_max / (1 - γ)"] == 4.0  # r_max 2, gamma 0.5
    assert frame["diverged"].tolist() == [False, True]  # mean Q 4.0 is at the bound, 5.0 above it


def test_a_method_keeps_its_colour_across_panels_and_the_legend_lists_every_panels_methods():
    from matplotlib.colors import to_hex

    from acalib.plots import label_colors, shared_legend
    online = curve(range(0, 3001, 1000), lambda s: 1.0)
    panels = [{"SAC→SAC": online, "SAC→ACA": online}, {"SAC→SAC": online, "CQL→SAC": online, "SAC→ACA": online}]
    colors = label_colors([], [k for p in panels for k in p])
    assert list(colors) == ["SAC→SAC", "SAC→ACA", "CQL→SAC"]
    fig, axes = plt.subplots(1, 2)
    for ax, p in zip(axes, panels):
        plot_offline_online(ax, None, p, "t", legend=False, colors=colors)
    aca = [to_hex(line.get_color()) for ax in axes for line in ax.get_lines() if line.get_label() == "SAC→ACA"]
    assert len(aca) == 2 and aca[0] == aca[1]  # without colors: 2nd in one panel, 3rd in the other
    shared_legend(fig, axes)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["SAC→SAC", "SAC→ACA", "CQL→SAC"]
    plt.close(fig)
