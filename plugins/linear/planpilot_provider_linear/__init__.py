"""PlanPilot provider for Linear (entry point ``linear``): a plan's items as issues of one Linear team, over typed
GraphQL (sgqlc) generated from Linear's pinned public schema; and a Linear emulator for tests
(``planpilot_provider_linear.testing``, the ``emulator`` extra).

Importing this package is cheap: the provider lives in :mod:`.provider`, loaded on first use.
"""
