"""Production exports and overlay volumes in the layout review platforms load."""
