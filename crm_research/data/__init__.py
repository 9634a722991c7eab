"""Data layer: bundled data sets (checksums, typed loaders), codebooks, transaction logs,
profiling.
"""
