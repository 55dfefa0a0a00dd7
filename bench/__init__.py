"""Benchmarks of mipmib against a reference measured in the same run (`make bench`)."""
