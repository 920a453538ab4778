"""The event stream processor: outbox relay, router, SLA sweeper, patrol aggregation —
Kafka in, domain handlers, Kafka/DB out. Imports services and geo; nothing imports it."""
