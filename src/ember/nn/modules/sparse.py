"""(to be written)"""
from ember.nn.modules.module import Module  # noqa: F401

__all__ = []
