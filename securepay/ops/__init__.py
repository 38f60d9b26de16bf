"""Operator tooling: `securepay check`, the manager.conf lint, the AMI probe."""
