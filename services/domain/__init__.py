"""The pure domain core of gridflow: the case state machine, routing rules, the working-time
calendar and KPI arithmetic. Standard library only; nothing here reads a database, a clock, the
network or the environment — callers pass every fact in and persist whatever comes out.
"""
