"""The Prefect runtime: running a flow in-process or through a Prefect API, the REST client the
everyday commands use without importing Prefect, and the local Prefect server ``serve`` starts."""
