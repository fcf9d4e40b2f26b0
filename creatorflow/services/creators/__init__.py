"""creators stage services."""
