"""PlanPilot provider for Linear: typed GraphQL (sgqlc) generated from Linear's pinned public schema, and a
Linear emulator for tests (``planpilot_provider_linear.testing``, the ``emulator`` extra).

The provider itself (entry point ``linear``) is not part of this distribution yet; see the README.
"""
