"""Departments and routing rules, administered: the admin's commands (validated, audited,
versioned), rule files (YAML/CSV) for `gridflow rules import`, and the demo rules. Routing
itself is the pure `services.domain.routing`; a case is routed by services.cases. Imports
services.cases, the store and the domain core."""
