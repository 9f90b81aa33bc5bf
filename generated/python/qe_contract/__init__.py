"""Pydantic models generated from openapi/openapi.yaml by `make generate`. Do not edit."""
