"""HTTP intake: verify, store and parse GitHub deliveries into signals (imports bot/, never the reverse)."""
