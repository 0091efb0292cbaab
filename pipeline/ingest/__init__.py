"""Taking files from the inbox: types, stability, atomic storage (filesystem only, no database)."""
