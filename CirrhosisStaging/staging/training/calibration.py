"""Temperature scaling (Guo et al. 2017): one scalar that makes validation probabilities honest."""

from __future__ import annotations


def fit_temperature(logits, labels, steps: int = 200) -> float:
    """Temperature T > 0 minimising the validation negative log-likelihood of softmax(logits / T)."""
    import torch

    logits = torch.as_tensor(logits, dtype=torch.float64)
    labels = torch.as_tensor(labels, dtype=torch.long)
    log_temperature = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_temperature], lr=0.1, max_iter=steps)

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits / log_temperature.exp(), labels)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_temperature.detach().exp().clamp(0.05, 20.0))
