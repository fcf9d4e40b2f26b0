"""Test data and test servers shared by every test folder: one place for each default.

``campaigns`` holds the campaign specs, ``builders`` the rows (creators, accounts, enrollments,
messages, posts, snapshots, stage events), ``worlds`` the larger pre-built scenarios, ``mail``
inbound mail as it arrives, ``environment`` the settings handed to commands and flows, and
``fixtures`` the pytest fixtures (sandbox platforms, settings) that ``tests/conftest.py`` loads.
"""
