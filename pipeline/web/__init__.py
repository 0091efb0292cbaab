"""The web face: pages for clerks, signing officers and archivists, and the JSON API.

It calls the jobs layer only; nothing here touches files or tables directly.
"""
