"""The reference sync: load a PlanPilot plan, render bodies, and drive any provider to match it.

Modules, one job each: ``plan`` (load and validate plan files, derive the plan id), ``body``
(render bodies and the metadata block), ``runner`` (the sync engine), ``token`` (token
resolution) and ``commands`` (the ``sync`` and ``check`` CLI commands). This package imports
nothing on its own, so ``planpilot-providers list`` stays fast; import the modules you use.
"""
