"""The mobile backend: the pure domain core, the database store, the rooms (cases, capture,
auth, …), the Flask API and pages, the Socket.IO server. Imports geo/, never streams/; the
map of its rooms and the direction of their imports is services/README.md."""
