"""PlanPilot provider plugin for Tracklet, a Linear-like issue tracker with an HTTP/JSON API.

An example of a third-party plugin written against the public API of ``planpilot_providers_core``:
``plugin`` (the entry point), ``provider`` (the provider), ``testing`` (a fake Tracklet service on loopback).
"""

__version__ = "0.1.0"
