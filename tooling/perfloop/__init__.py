"""Perfloop: a company's performance-management loop as code."""

__version__ = "0.1.0"
