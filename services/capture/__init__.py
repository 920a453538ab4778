"""Capture (信息采集): reports from grid workers and Open311, their photos, and patrol pings.

Accepting a report writes the report row and its `ReportCaptured` outbox event in one
transaction; nothing on this path talks to Kafka.
"""
