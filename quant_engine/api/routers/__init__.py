"""HTTP edges, one module per domain; thin: parse, call a service, wrap."""
