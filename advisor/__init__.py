"""archadvisor: a Well-Architected Serverless Lens advisor that rewrites architectures."""

__version__ = "0.1.0"
