"""reporting stage services."""
