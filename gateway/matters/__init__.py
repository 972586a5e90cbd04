"""Matters (cases), their parties, who holds which role, and Exhibit A acknowledgments."""
