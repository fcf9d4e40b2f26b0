"""Pure domain logic: no I/O, no clock, no frameworks.

Everything here is deterministic given its inputs, so it can be property-tested and replayed.
"""
