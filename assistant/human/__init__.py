"""转人工: the staff inbox of conversations handed to a person, and the relay that keeps the bot
quiet while a person holds one."""
