"""The simulated city for the demo (`gridflow simulate --base-url URL`): grid workers patrol and
report at a realistic daily rhythm, speeded up, and departments acknowledge and resolve with
realistic delays, some late — all through the public HTTP API of a running gridflow, so the
map, the ticker and the KPIs move on their own. Development mode only. Imports auth (demo
accounts), the store, config and the domain core."""
