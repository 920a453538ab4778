"""KPIs (综合评价) from the case data: loads `KpiFacts` for a period and a scope and applies
the pure arithmetic of `services.domain.kpi`. Imports the store and the domain core."""
