"""The dialogue core: what a message means in context, and the answer, for both drivers.

Rasa's custom actions and the app's own conversation (when Rasa is down or slow for a
conversation) call the same code here, so the two never answer the same message differently.
"""
