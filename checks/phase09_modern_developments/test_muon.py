"""Checks for phase09_modern_developments/muon.py: Newton-Schulz orthogonalisation, the Muon step, which parameters
Muon gets, and Muon with AdamW as one optimiser for a LLaMA-style model."""
import copy
import math

import pytest
import torch

from checks.helpers import assert_close, expect
from checks.phase09_modern_developments.common import TINY, tokens

A, B, C = 3.4445, -4.7750, 2.0315


def test_newton_schulz_on_a_diagonal_matrix(impl):
    """On diag(s), every step acts on each s alone: x <- a x + b x^3 + c x^5, after dividing s by its norm."""
    s = torch.tensor([3.0, 1.0, 0.1, 0.01], dtype=torch.float64)
    for steps in (5, 2):
        x = s / s.norm()
        for _ in range(steps):
            x = A * x + B * x ** 3 + C * x ** 5
        got = impl.newton_schulz(torch.diag(s)) if steps == 5 else impl.newton_schulz(torch.diag(s), steps=steps)
        assert_close(torch.diagonal(got), x, f"diagonal of newton_schulz(diag([3, 1, 0.1, 0.01]){', steps=2' * (steps == 2)})",
                     rtol=1e-6, atol=1e-9, mistake=f"X = G / ||G||_F first; then `steps` times ({steps} here) A = X X^T, "
                     "X = a X + (b A + c A A) X with (a, b, c) = (3.4445, -4.7750, 2.0315)")


@pytest.mark.parametrize("shape", [(16, 40), (40, 16), (3, 16, 32)])
def test_newton_schulz_orthogonalises(impl, seed, shape):
    gen = torch.Generator().manual_seed(seed)
    G = torch.randn(*shape, generator=gen, dtype=torch.float64) @ torch.diag(torch.logspace(0, -1, shape[-1], dtype=torch.float64))
    X = impl.newton_schulz(G)
    expect(X.shape == G.shape, f"newton_schulz of shape {shape} returned {tuple(X.shape)}")
    sv = torch.linalg.svdvals(X)
    expect(sv.min() > 0.6 and sv.max() < 1.25, f"singular values of newton_schulz(G) for G {shape} lie in "
           f"[{sv.min():.3f}, {sv.max():.3f}]; five quintic steps put them in about [0.7, 1.2]",
           "normalise by the Frobenius norm; iterate on the wide orientation (transpose a tall matrix, then back)")
    U, _, Vh = torch.linalg.svd(G, full_matrices=False)
    inner = U.mT @ X @ Vh.mT             # diagonal when X shares G's singular vectors (X = U f(S) V^T)
    off = inner - torch.diag_embed(torch.diagonal(inner, dim1=-2, dim2=-1))
    expect(off.abs().max() < 1e-6, f"U^T newton_schulz(G) V has off-diagonal entries up to {off.abs().max():.2e}: the "
           "result must keep G's singular vectors and change only its singular values")


def test_muon_steps(impl, ref, seed):
    gen = torch.Generator().manual_seed(seed)
    start = torch.randn(12, 20, generator=gen, dtype=torch.float64)
    grads = [torch.randn(12, 20, generator=gen, dtype=torch.float64) for _ in range(3)]
    lr, mu, wd = 0.01, 0.9, 0.1
    p = torch.nn.Parameter(start.clone())
    optimizer = impl.Muon([p], lr=lr, momentum=mu, weight_decay=wd)
    expected, buf = start.clone(), torch.zeros_like(start)
    scale = 0.2 * math.sqrt(20)
    for step, g in enumerate(grads):
        p.grad = g.clone()
        optimizer.step()
        buf = mu * buf + g
        expected = expected * (1 - lr * wd) - lr * scale * ref.newton_schulz(g + mu * buf)
        assert_close(p.detach(), expected, f"a (12, 20) weight after {step + 1} Muon step(s) (lr={lr}, momentum={mu}, "
                     f"weight_decay={wd})", rtol=1e-9, atol=1e-12, mistake="buf = momentum buf + g; Nesterov: "
                     "u = g + momentum buf; p -= lr wd p; p -= lr 0.2 sqrt(max(rows, cols)) newton_schulz(u)")
    expect("momentum_buffer" in optimizer.state[p], "Muon keeps its momentum in optimizer.state[p]['momentum_buffer']")
    p0 = torch.nn.Parameter(start.clone())
    first = impl.Muon([p0], lr=lr, momentum=mu)
    p0.grad = grads[0].clone()
    first.step()
    update = (start - p0.detach()) / (lr * scale)
    sv = torch.linalg.svdvals(update)
    expect(sv.min() > 0.6 and sv.max() < 1.25, f"the first Muon update's singular values lie in [{sv.min():.3f}, "
           f"{sv.max():.3f}]: the update must be (close to) orthogonal")


def test_muon_without_nesterov_and_with_three_steps(impl, ref, seed):
    """nesterov=False (u = buf) and ns_steps=3, momentum 0.8: two steps against the update written out."""
    gen = torch.Generator().manual_seed(seed)
    start = torch.randn(20, 12, generator=gen, dtype=torch.float64)
    lr, mu = 0.02, 0.8
    p = torch.nn.Parameter(start.clone())
    optimizer = impl.Muon([p], lr=lr, momentum=mu, nesterov=False, ns_steps=3)
    expected, buf = start.clone(), torch.zeros_like(start)
    for step in range(2):
        g = torch.randn(20, 12, generator=gen, dtype=torch.float64)
        p.grad = g.clone()
        optimizer.step()
        buf = mu * buf + g
        expected = expected - lr * 0.2 * math.sqrt(20) * ref.newton_schulz(buf, 3)
        assert_close(p.detach(), expected, f"a (20, 12) weight after {step + 1} step(s) of Muon(lr={lr}, momentum={mu}, "
                     "nesterov=False, ns_steps=3)", rtol=1e-9, atol=1e-12,
                     mistake="read nesterov and ns_steps from the parameter group: without Nesterov u = buf, and "
                             "newton_schulz(u, group['ns_steps'])")


def test_muon_gets_the_hidden_matrices(impl, ref_tree, seed):
    llama = ref_tree.load("phase09_modern_developments.llama")
    torch.manual_seed(seed)
    model = llama.Llama(llama.LlamaConfig(**TINY))
    matrices, rest = impl.muon_param_groups(model)
    names = {id(p): n for n, p in model.named_parameters()}
    got = sorted(names[id(p)] for p in matrices)
    expected = sorted(n for n, p in model.named_parameters() if p.dim() == 2 and n.startswith("transformer.h."))
    expect(got == expected, f"Muon's parameters: {got}; expected the blocks' Linear weights {expected}",
           "embeddings, and a head tied to the embedding, go to AdamW with the gains")
    expect(len(matrices) + len(rest) == len(names) and set(map(id, matrices)).isdisjoint(map(id, rest)),
           "every parameter must be in exactly one of the two lists")


def test_muon_with_adamw_trains_and_resumes(impl, ref_tree, seed):
    """Eight steps of a tiny LLaMA with MuonWithAdamW, the learning rate set through param_groups each step, lower
    the loss; a copy resumed from the state_dict after four steps ends where the uninterrupted run does."""
    llama = ref_tree.load("phase09_modern_developments.llama")
    torch.manual_seed(seed)
    config = llama.LlamaConfig(**TINY)
    batches = [(tokens(seed + i, 4, 16, TINY["vocab_size"]),) * 2 for i in range(2)]

    def steps(model, optimizer, n, first=0):
        losses = []
        for i in range(n):
            for group in optimizer.param_groups:       # as the trainer's schedule does, every step
                group["lr"] = 0.01 / (1 + first + i)
            x, _ = batches[i % 2]
            _, loss = model(x[:, :-1], x[:, 1:])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    model = llama.Llama(config)
    resumed = llama.Llama(config)
    resumed.load_state_dict(model.state_dict())
    optimizer = impl.MuonWithAdamW(model, lr=0.01, weight_decay=0.0)
    losses = steps(model, optimizer, 4)
    saved = {"model": {k: v.clone() for k, v in model.state_dict().items()}, "optimizer": copy.deepcopy(optimizer.state_dict())}
    losses += steps(model, optimizer, 4, first=4)
    expect(losses[-1] < losses[0] - 0.05, f"losses over 8 steps of MuonWithAdamW: {[round(v, 3) for v in losses]}; "
           "expected a clear fall")
    resumed.load_state_dict(saved["model"])
    second = impl.MuonWithAdamW(resumed, lr=0.01, weight_decay=0.0)
    second.load_state_dict(saved["optimizer"])
    steps(resumed, second, 4, first=4)
    for (name, p), q in zip(model.named_parameters(), resumed.parameters()):
        assert_close(q, p, f"{name} after resuming from the optimiser's state_dict", rtol=1e-6, atol=1e-7,
                     mistake="the momentum buffers must be saved and restored, and param_groups must be the groups the "
                     "optimisers step with after load_state_dict too")
