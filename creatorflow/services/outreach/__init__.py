"""outreach stage services."""
