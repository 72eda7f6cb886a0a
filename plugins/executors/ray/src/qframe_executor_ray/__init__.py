"""Ray executor for qframe: variants fan out over a Ray cluster, rows stream back to the driver."""
