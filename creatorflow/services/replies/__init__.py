"""replies stage services."""
