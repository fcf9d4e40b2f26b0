"""tracking stage services."""
