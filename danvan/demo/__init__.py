"""The bundled sample province and what runs on it: ``danvan demo``, the story it tells,
``danvan bench`` and the portal load test."""
