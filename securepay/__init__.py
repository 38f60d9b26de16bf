"""securepay: secure phone payments for Asterisk."""

__version__ = "0.1.0"
