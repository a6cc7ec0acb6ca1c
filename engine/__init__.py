"""Sunhall engine: models, BPMN loading and validation, the SpiffWorkflow runtime, the case
service, the working-day calendar and the audit log.

The engine imports nothing of Flask, forms/ or rules/; those plug in through
:mod:`engine.listeners`.
"""
