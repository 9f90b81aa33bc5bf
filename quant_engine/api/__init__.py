"""FastAPI edge: app factory, envelope, errors, auth, routers."""
