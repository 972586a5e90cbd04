"""People who sign in, and how: passwords, web sessions, API tokens, login throttling."""
