"""Notifying reporters of their cases' milestones (快速反馈): what is sent to whom
(`messages`) and the channels that carry it (`channels`: an Open311 client's signed webhook,
the SMS gateway of the district). The notifier process (streams.notifier) queues and sends."""
