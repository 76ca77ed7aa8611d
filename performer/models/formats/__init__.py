"""Checkpoint readers for files performer did not write (NVlabs pickles, rosinality .pt);
nothing in a file is imported or executed.
"""
