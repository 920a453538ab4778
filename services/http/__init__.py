"""HTTP edges every audience shares: the typed API errors and their one mapping to status
codes (`errors`), and request validation into pydantic models (`validation`).

Below the blueprints: `services.api`, the pages, the auth decorators, the capture forms and
the HTTP metrics import it; it imports nothing of ours.
"""
