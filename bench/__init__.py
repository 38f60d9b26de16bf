"""`make bench`: how many payments one box holds, what securepay costs of it, and whether a
caller notices. Not a test: it measures and writes bench/results/latest.{json,md,png}."""
