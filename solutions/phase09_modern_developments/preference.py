"""Learning from preferences: a reward model, PPO's clipped objective, and DPO.

RLHF (Christiano et al., 2017; Stiennon et al., 2020; Ouyang et al., 2022, InstructGPT) has three stages:
supervised fine-tuning; a reward model r(x, y) trained on human comparisons "y_w is better than y_l" with
the Bradley-Terry model, P(y_w > y_l) = sigmoid(r(x, y_w) - r(x, y_l)); and reinforcement learning of the
policy against r with PPO (Schulman et al., 2017) and a KL penalty keeping it near the SFT model.
DPO (Rafailov et al., 2023) skips the reward model and the RL: the KL-constrained optimum is
    pi*(y | x) = pi_ref(y | x) exp(r(x, y) / beta) / Z(x),   so   r(x, y) = beta log(pi*(y|x) / pi_ref(y|x)) + beta log Z(x),
and putting that reward into Bradley-Terry cancels Z: a classification loss on the policy itself.
"""
from __future__ import annotations

import torch
from torch.nn import functional as F

from ..phase08_training_gpt.adamw import AdamW


def sequence_log_probs(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """logits (B, T, V), targets (B, T) int64, mask (B, T) bool -> (B,): sum over the masked positions of
    log softmax(logits)[target], the log-probability of each response (the prompt's positions masked out)."""
    # BEGIN SOLUTION
    logp = F.log_softmax(logits, dim=-1).gather(-1, targets[..., None]).squeeze(-1)
    return (logp * mask).sum(dim=-1)
    # END SOLUTION


def bradley_terry_loss(r_chosen: torch.Tensor, r_rejected: torch.Tensor) -> torch.Tensor:
    """Rewards (N,) of the preferred and the other response -> mean of -log sigmoid(r_chosen - r_rejected),
    a 0-d tensor, finite for any margin (log sigmoid(z) computed stably)."""
    # BEGIN SOLUTION
    return -F.logsigmoid(r_chosen - r_rejected).mean()
    # END SOLUTION


def ppo_clipped_loss(logp_new: torch.Tensor, logp_old: torch.Tensor, advantages: torch.Tensor,
                     clip_eps: float = 0.2) -> torch.Tensor:
    """PPO's clipped surrogate (Schulman et al., 2017), as a loss to minimise: -mean(min(rho A, clip(rho, 1 - eps,
    1 + eps) A)), rho = exp(logp_new - logp_old). All inputs (N,); logp_old and advantages are given (no gradient).

    The min makes the objective pessimistic: moving rho outside [1 - eps, 1 + eps] in the direction the
    advantage favours earns nothing, so one batch cannot push the policy far from the one that sampled it.
    """
    # BEGIN SOLUTION
    ratio = torch.exp(logp_new - logp_old)
    clipped = torch.clamp(ratio, 1 - clip_eps, 1 + clip_eps)
    return -torch.minimum(ratio * advantages, clipped * advantages).mean()
    # END SOLUTION


def dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
             ref_rejected: torch.Tensor, beta: float = 0.1) -> torch.Tensor:
    """DPO (Rafailov et al., 2023): sequence log-probabilities (N,) of the chosen and rejected responses under
    the policy and under the frozen reference -> 0-d loss
        -mean log sigmoid(beta [(log pi(y_w) - log pi_ref(y_w)) - (log pi(y_l) - log pi_ref(y_l))]),
    the Bradley-Terry loss of the implicit rewards beta log(pi / pi_ref)."""
    # BEGIN SOLUTION
    chosen_reward = beta * (policy_chosen - ref_chosen)
    rejected_reward = beta * (policy_rejected - ref_rejected)
    return bradley_terry_loss(chosen_reward, rejected_reward)
    # END SOLUTION


def dpo_margin(policy_logits: torch.Tensor, ref_logits: torch.Tensor, pairs: torch.Tensor, beta: float) -> torch.Tensor:
    """The mean implicit reward margin beta [(log pi(w) - log pi_ref(w)) - (log pi(l) - log pi_ref(l))] of a toy
    policy: logits (P, K) over K responses to each of P prompts; pairs (N, 3) of (prompt, chosen, rejected)."""
    policy, ref = F.log_softmax(policy_logits, dim=-1), F.log_softmax(ref_logits, dim=-1)
    p, w, l = pairs.unbind(dim=1)
    return (beta * ((policy[p, w] - ref[p, w]) - (policy[p, l] - ref[p, l]))).mean()


def toy_dpo_run(ref_logits: torch.Tensor, pairs: torch.Tensor, beta: float = 0.1, lr: float = 0.05,
                steps: int = 100) -> tuple[torch.Tensor, list[float]]:
    """Train a toy policy with DPO: logits (P, K) over K responses to each of P prompts, starting from (a copy
    of) ref_logits; pairs (N, 3) int64 of (prompt, chosen, rejected). Phase 8's AdamW with lr and no weight decay
    (Adam), full batch, `steps` steps.
    Returns (the trained logits, detached; [dpo_margin before the first step, after each step])."""
    # BEGIN SOLUTION
    policy = ref_logits.detach().clone().requires_grad_(True)
    optimizer = AdamW([policy], lr=lr, weight_decay=0.0)
    ref = F.log_softmax(ref_logits.detach(), dim=-1)
    p, w, l = pairs.unbind(dim=1)
    margins = [dpo_margin(policy.detach(), ref_logits, pairs, beta).item()]
    for _ in range(steps):
        logp = F.log_softmax(policy, dim=-1)
        loss = dpo_loss(logp[p, w], logp[p, l], ref[p, w], ref[p, l], beta)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        margins.append(dpo_margin(policy.detach(), ref_logits, pairs, beta).item())
    return policy.detach(), margins
    # END SOLUTION
