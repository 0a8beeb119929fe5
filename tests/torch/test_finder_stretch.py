"""``lrkit.torch.find_lr``'s ``stretch`` on a real model whose loss never falls in a 100-step test:
a deep tanh MLP trained with RMSprop on scikit-learn's circles sits at log 2 until the rate wrecks
it (issue 15's fresh task ``circles_deep_rmsprop``); with three times the steps it learns first."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from lrkit.torch import find_lr  # noqa: E402


def _circles_deep_tanh(seed: int):
    from sklearn.datasets import make_circles

    x, y = make_circles(n_samples=700, noise=0.1, factor=0.5, random_state=0)
    x = (x - x.mean(0)) / x.std(0)
    xs, ys = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    torch.manual_seed(seed)
    layers = [torch.nn.Linear(2, 32), torch.nn.Tanh()]
    for _ in range(4):
        layers += [torch.nn.Linear(32, 32), torch.nn.Tanh()]
    model = torch.nn.Sequential(*layers, torch.nn.Linear(32, 2))
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xs, ys), batch_size=32,
                                       shuffle=True, generator=g)
    return model, opt, data


@pytest.mark.parametrize("seed", [0, 1])
def test_a_model_that_needs_more_steps_per_rate_gets_a_suggestion(seed: int):
    model, opt, data = _circles_deep_tanh(seed)
    before = [p.detach().clone() for p in model.parameters()]
    one = find_lr(model, opt, data, torch.nn.functional.cross_entropy, stretch=1, progress=False)
    assert one.suggestion is None and "never went 1% below its first value" in one.reason
    r = find_lr(model, opt, data, torch.nn.functional.cross_entropy, progress=False)
    assert len(r.lrs) > 100  # the second test, 300 planned steps
    assert r.suggestion is not None and 1e-4 < r.suggestion < 0.05, r
    assert r.suggest(target="constant") < r.suggestion
    for p, q in zip(model.parameters(), before):  # restored bitwise after both tests
        assert torch.equal(p, q)
