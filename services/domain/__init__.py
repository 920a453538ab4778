"""The pure domain core of gridflow: the case state machine, routing rules, the working-time
calendar, KPI arithmetic and the KPI facts a case's history gives. Standard library only;
nothing here reads a database, a clock, the network or the environment — callers pass every
fact in and persist whatever comes out.
"""
