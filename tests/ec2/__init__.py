"""Helpers for the EC2 tests: a local moto server standing in for AWS."""
