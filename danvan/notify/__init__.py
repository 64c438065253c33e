"""Notification: the channels (Apprise and Zalo OA) and the messages rendered from
``config/templates``."""
