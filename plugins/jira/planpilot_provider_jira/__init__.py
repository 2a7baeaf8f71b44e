"""PlanPilot provider for Jira Cloud. For now only its emulator (:mod:`planpilot_provider_jira.testing`) exists;
the provider itself (``plugin``) comes next, built against it."""
