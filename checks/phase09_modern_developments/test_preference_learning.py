"""Checks for phase09_modern_developments/preference.py: sequence log-probabilities, the Bradley-Terry loss, PPO's
clipped objective on given values, DPO against its closed form, and a toy DPO run that raises the margin."""
import math

import torch
from torch.nn import functional as F

from checks.helpers import assert_close, expect


def test_sequence_log_probs(impl, seed):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(3, 6, 9, generator=gen, dtype=torch.float64)
    targets = torch.randint(0, 9, (3, 6), generator=gen)
    mask = torch.tensor([[0, 0, 1, 1, 1, 1], [0, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], dtype=torch.bool)
    expected = torch.zeros(3, dtype=torch.float64)
    for b in range(3):
        for t in range(6):
            if mask[b, t]:
                expected[b] += logits[b, t, targets[b, t]] - torch.logsumexp(logits[b, t], dim=0)
    assert_close(impl.sequence_log_probs(logits, targets, mask), expected, "sequence_log_probs(logits, targets, mask)",
                 rtol=1e-10, atol=1e-12, mistake="log_softmax over the vocabulary, gathered at each target, summed over "
                 "the masked-in positions only")


def test_bradley_terry_loss(impl):
    expect(abs(impl.bradley_terry_loss(torch.zeros(3), torch.zeros(3)).item() - math.log(2)) < 1e-6,
           "bradley_terry_loss of equal rewards is not log 2 = 0.6931", "-log sigmoid(r_chosen - r_rejected), averaged")
    rc, rr = torch.tensor([2.0, -1.0, 0.5], dtype=torch.float64), torch.tensor([0.0, 1.0, 0.5], dtype=torch.float64)
    expected = sum(math.log(1 + math.exp(-(c - r))) for c, r in zip(rc.tolist(), rr.tolist())) / 3
    assert_close(impl.bradley_terry_loss(rc, rr), torch.tensor(expected, dtype=torch.float64),
                 "bradley_terry_loss([2, -1, 0.5], [0, 1, 0.5])", rtol=1e-10, mistake="chosen minus rejected, not the reverse")
    far = impl.bradley_terry_loss(torch.tensor([-500.0, 500.0]), torch.tensor([500.0, -500.0]))
    expect(torch.isfinite(far) and abs(far.item() - 500.0) < 1e-3, f"bradley_terry_loss with margins -1000 and +1000 "
           f"is {far.item()}; expected 500 (1000 and 0, averaged)", "log(sigmoid(z)) underflows to log(0) for z = -1000: "
           "use F.logsigmoid")


def test_ppo_clipped_loss_on_given_values(impl):
    eps = 0.2
    ratios = [1.5, 1.5, 0.5, 0.5, 1.1, 0.9]
    advantages = [2.0, -2.0, 2.0, -2.0, 1.0, -3.0]
    # min(rho A, clip(rho) A) element by element: 1.2*2, 1.5*-2, 0.5*2, 0.8*-2, 1.1*1, 0.9*-3
    expected = -(2.4 - 3.0 + 1.0 - 1.6 + 1.1 - 2.7) / 6
    logp_old = torch.tensor([-1.0, -2.0, -0.5, -3.0, -1.5, -0.7], dtype=torch.float64)
    logp_new = (logp_old + torch.log(torch.tensor(ratios, dtype=torch.float64))).requires_grad_(True)
    loss = impl.ppo_clipped_loss(logp_new, logp_old, torch.tensor(advantages, dtype=torch.float64), clip_eps=eps)
    assert_close(loss, torch.tensor(expected, dtype=torch.float64), "ppo_clipped_loss for ratios "
                 f"{ratios} and advantages {advantages}, clip 0.2", rtol=1e-10,
                 mistake="-mean(min(rho A, clip(rho, 1 - eps, 1 + eps) A)) with rho = exp(logp_new - logp_old)")
    loss.backward()
    clipped = [0, 3]      # rho outside [0.8, 1.2] in the direction the advantage favours: no gradient
    expect(all(logp_new.grad[i] == 0 for i in clipped) and all(logp_new.grad[i] != 0 for i in (1, 2, 4, 5)),
           f"d loss / d logp_new is {logp_new.grad.tolist()}; expected zero exactly at entries 0 and 3, whose ratio is "
           "clipped, and non-zero elsewhere", "the min picks the clipped term there, and clamp has no gradient outside its range")


def test_dpo_against_its_closed_form(impl, seed):
    """With the closed-form optimum pi* = pi_ref exp(r / beta) / Z, DPO's loss is Bradley-Terry's loss of the reward r."""
    gen = torch.Generator().manual_seed(seed)
    beta = 0.3
    ref = F.log_softmax(torch.randn(5, 8, generator=gen, dtype=torch.float64), dim=-1)     # 5 prompts, 8 responses
    reward = torch.randn(5, 8, generator=gen, dtype=torch.float64)
    optimum = F.log_softmax(ref + reward / beta, dim=-1)
    p = torch.arange(5).repeat(3)
    w, l = torch.randint(0, 8, (15,), generator=gen), torch.randint(0, 8, (15,), generator=gen)
    expected = -F.logsigmoid(reward[p, w] - reward[p, l]).mean()
    got = impl.dpo_loss(optimum[p, w], optimum[p, l], ref[p, w], ref[p, l], beta=beta)
    assert_close(got, expected, "dpo_loss at the closed-form optimum pi_ref exp(r / beta) / Z, against the "
                 "Bradley-Terry loss of r", rtol=1e-10, atol=1e-12,
                 mistake="the implicit reward is beta (log pi - log pi_ref): subtract the reference's log-probabilities")

    policy_w = optimum[p, w].clone().requires_grad_(True)
    loss = impl.dpo_loss(policy_w, optimum[p, l], ref[p, w], ref[p, l], beta=beta)
    loss.backward()
    margin = beta * ((optimum[p, w] - ref[p, w]) - (optimum[p, l] - ref[p, l]))
    assert_close(policy_w.grad, -beta * torch.sigmoid(-margin) / 15, "d dpo_loss / d log pi(chosen) against Rafailov et "
                 "al.'s closed form -beta sigmoid(r_rejected - r_chosen) / N", rtol=1e-9, atol=1e-12,
                 mistake="beta multiplies the whole difference of log-ratios inside the sigmoid")


def test_sequence_log_probs_with_logits_in_the_thousands(impl, seed):
    gen = torch.Generator().manual_seed(seed)
    logits = 1000 * torch.randn(2, 4, 9, generator=gen, dtype=torch.float64)
    targets = torch.randint(0, 9, (2, 4), generator=gen)
    mask = torch.tensor([[0, 1, 1, 1], [1, 1, 1, 0]], dtype=torch.bool)
    expected = (logits.gather(-1, targets[..., None]).squeeze(-1) - torch.logsumexp(logits, dim=-1)).mul(mask).sum(-1)
    assert_close(impl.sequence_log_probs(logits, targets, mask), expected, "sequence_log_probs with logits in the "
                 "thousands", rtol=1e-12, atol=1e-9, mistake="log(softmax(logits)) is log(0) = -inf for a far-off "
                 "target: F.log_softmax works from the logits")


def test_dpo_and_ppo_far_from_zero(impl, seed):
    """DPO with log-ratio differences of +-10,000 (margins of +-1000 at beta 0.1), and PPO on sequence
    log-probabilities near -1000, whose exp underflows to 0."""
    gen = torch.Generator().manual_seed(seed)
    policy_w, policy_l = -50 * torch.rand(4, generator=gen, dtype=torch.float64), -50 * torch.rand(4, generator=gen,
                                                                                                   dtype=torch.float64)
    ref_w = policy_w + torch.tensor([1e4, -1e4, 5e3, -2e3], dtype=torch.float64)
    ref_l = policy_l.clone()
    margin = 0.1 * ((policy_w - ref_w) - (policy_l - ref_l))
    assert_close(impl.dpo_loss(policy_w, policy_l, ref_w, ref_l, beta=0.1), -F.logsigmoid(margin).mean(),
                 "dpo_loss with margins of -1000 to +1000", rtol=1e-10, mistake="-log(sigmoid(z)) is inf for z = -1000: "
                 "DPO's loss is bradley_terry_loss of the two implicit rewards (F.logsigmoid)")
    ratios = torch.tensor([1.5, 1.5, 0.5, 0.5, 1.1, 0.9], dtype=torch.float64)
    advantages = torch.tensor([2.0, -2.0, 2.0, -2.0, 1.0, -3.0], dtype=torch.float64)
    logp_old = -1000 - 100 * torch.rand(6, generator=gen, dtype=torch.float64)
    expected = -torch.minimum(ratios * advantages, ratios.clamp(0.8, 1.2) * advantages).mean()
    assert_close(impl.ppo_clipped_loss(logp_old + ratios.log(), logp_old, advantages, clip_eps=0.2), expected,
                 "ppo_clipped_loss for log-probabilities near -1000", rtol=1e-9, mistake="rho = exp(logp_new - logp_old) "
                 "in one exp: exp(-1000) / exp(-1000) is 0 / 0")


def test_toy_dpo_run_raises_the_margin(impl, seed):
    gen = torch.Generator().manual_seed(seed)
    ref_logits = torch.randn(4, 6, generator=gen)
    hidden_reward = torch.randn(4, 6, generator=gen)
    pairs = []
    for prompt in range(4):
        for a in range(6):
            for b in range(a + 1, 6):
                better = hidden_reward[prompt, a] > hidden_reward[prompt, b]
                pairs.append((prompt, a if better else b, b if better else a))
    pairs = torch.tensor(pairs)
    policy, margins = impl.toy_dpo_run(ref_logits, pairs, beta=0.1, lr=0.05, steps=100)
    expect(len(margins) == 101, f"toy_dpo_run(steps=100) returned {len(margins)} margins; expected 101 (before the "
           "first step, then after each)")
    expect(abs(margins[0]) < 1e-6, f"the margin before training is {margins[0]:.4f}; the policy starts as the reference, "
           "so it must be 0", "start from a copy of ref_logits")
    expect(margins[-1] > 0.2 and margins[-1] > margins[50] > margins[10] > 0, f"margins after 10, 50 and 100 steps are "
           f"{margins[10]:.3f}, {margins[50]:.3f}, {margins[-1]:.3f}; DPO must raise beta times the chosen-minus-rejected "
           "log-ratio steadily (above 0.2 by the end)", "minimise dpo_loss; its reference is the fixed starting logits")
    reward = policy - ref_logits          # the implicit reward, up to beta and a constant per prompt
    ranked = (reward[pairs[:, 0], pairs[:, 1]] > reward[pairs[:, 0], pairs[:, 2]]).float().mean().item()
    expect(ranked > 0.9, f"the trained policy's implicit reward log(pi / pi_ref) ranks the chosen response first in "
           f"{ranked:.0%} of pairs; expected over 90%")


def test_toy_dpo_run_matches_the_reference(impl, ref, seed):
    """30 steps at beta 0.5 and lr 0.1 (not the defaults): the same margins as the reference's run, to 2e-4 (float32
    rounding moves them by up to 2e-5 over 100 draws; AdamW's default weight decay by at least 3e-3). The logits
    themselves are not compared: a response in no pair has a gradient of rounding noise, which Adam turns into
    full steps (they leave every margin unchanged)."""
    gen = torch.Generator().manual_seed(seed)
    ref_logits = torch.randn(3, 5, generator=gen)
    pairs = torch.stack([torch.randint(0, 3, (12,), generator=gen), torch.randint(0, 5, (12,), generator=gen),
                         torch.randint(0, 5, (12,), generator=gen)], dim=1)
    _, margins = impl.toy_dpo_run(ref_logits, pairs, beta=0.5, lr=0.1, steps=30)
    _, expected = ref.toy_dpo_run(ref_logits, pairs, beta=0.5, lr=0.1, steps=30)
    assert_close(torch.tensor(margins), torch.tensor(expected), "the margins of toy_dpo_run(beta=0.5, lr=0.1, steps=30) "
                 "against the reference's", rtol=0, atol=2e-4,
                 mistake="phase 8's AdamW with weight_decay=0.0 (its default decays), the given lr and beta, full batch")
