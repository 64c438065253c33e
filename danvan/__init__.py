"""danvan: công tác dân vận chính quyền, run as Prefect flows."""
