"""The category catalog: big class → small class codes for components (部件) and events (事件)."""
