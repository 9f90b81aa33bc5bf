"""Settings, errors, logging and file helpers shared by every layer."""
