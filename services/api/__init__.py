"""The Flask API: one blueprint per audience (mobile, department, operator, open311, admin,
stats, …), each building a command and calling its handler, or reading through the store's
queries; refusals map to HTTP answers in one place (`casework.command_errors`,
`services.http.errors`). Imports any room below it; nothing imports it but `services.app`."""
