"""Sample FastAPI app shipped with webstack.tiers: the default app and the stack's probe."""

__version__ = "1.0.0"
