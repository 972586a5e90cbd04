"""Productions, documents, their versions and encrypted files."""
