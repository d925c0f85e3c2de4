"""Pure loss functions. Each takes tensors with a leading run axis and returns the
per-run loss, shape ``(runs,)``, plus a small dict of per-run statistics.

Summing the per-run losses before ``backward`` gives every run exactly the gradient
of its own loss, so seeds batched in one process stay independent.
"""
