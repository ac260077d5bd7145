"""Builds the patch-apply benchmark corpus at run time: real diffs between released versions."""
