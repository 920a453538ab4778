"""The category catalog: big class → small class codes for components (部件) and events (事件),
its schemas and the admin's commands over it. Imports the store and config."""
