import numpy as np
import torch

from acalib.data.sumtree import SumTree


def test_sums_and_updates():
    tree = SumTree(2, 5)
    assert tree.capacity == 8
    tree.update(torch.tensor([[0, 1, 2, 3, 4], [0, 1, 2, 3, 4]]),
                torch.tensor([[1.0, 2, 3, 4, 5], [5.0, 0, 0, 0, 1]]))
    torch.testing.assert_close(tree.total, torch.tensor([15.0, 6.0], dtype=torch.float64))
    tree.update(torch.tensor([[4], [0]]), torch.tensor([[0.5], [2.0]]))
    torch.testing.assert_close(tree.total, torch.tensor([10.5, 3.0], dtype=torch.float64))
    torch.testing.assert_close(tree.max_priority, torch.tensor([5.0, 5.0], dtype=torch.float64))  # never falls
    # find walks to the leaf that holds a given cumulative mass
    mass = torch.tensor([[0.0, 0.99, 1.0, 2.99, 3.0, 10.4], [0.0, 1.99, 2.0, 2.5, 2.99, 0.5]], dtype=torch.float64)
    assert tree.find(mass).tolist() == [[0, 0, 1, 1, 2, 4], [0, 0, 4, 4, 4, 0]]


def test_sampling_frequencies_are_proportional_to_priorities():
    n, batch, draws = 50, 256, 400
    rng = np.random.default_rng(0)
    p = rng.uniform(0.1, 5.0, n)
    p[7] = 0.0  # zero priority: never sampled
    tree = SumTree(1, n)
    tree.update(torch.arange(n)[None], torch.tensor(p)[None])
    g = [torch.Generator().manual_seed(0)]
    counts = np.zeros(n)
    for _ in range(draws):
        idx = tree.sample(batch, g, size=n)[0].numpy()
        counts += np.bincount(idx, minlength=n)
    expected = p / p.sum() * batch * draws
    assert counts[7] == 0
    # Pearson chi-square with 48 degrees of freedom: 99.9% quantile is about 84
    # (stratified sampling only lowers the variance).
    mask = p > 0
    chi2 = ((counts[mask] - expected[mask]) ** 2 / expected[mask]).sum()
    assert chi2 < 84, chi2
    # and a clearly wrong distribution would fail the same test
    uniform = np.full(mask.sum(), counts[mask].sum() / mask.sum())
    assert ((counts[mask] - uniform) ** 2 / uniform).sum() > 84


def test_runs_sample_independently_from_their_own_trees():
    tree = SumTree(2, 4)
    tree.update(torch.tensor([[0, 1, 2, 3]] * 2), torch.tensor([[1.0, 0, 0, 0], [0, 0, 0, 1.0]]))
    idx = tree.sample(64, [torch.Generator().manual_seed(s) for s in (0, 1)], size=4)
    assert set(idx[0].tolist()) == {0} and set(idx[1].tolist()) == {3}
