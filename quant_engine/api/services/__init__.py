"""Edge services: map generated wire models to engine calls and engine results back."""
