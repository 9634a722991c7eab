"""Studies: primer, claims audit, success factors, channel economics and their simulators."""
