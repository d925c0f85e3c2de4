"""acalib: actor-critic alignment (Yu & Zhang, ICML 2023) and its baselines for offline-to-online RL."""
__version__ = "0.1.0"
