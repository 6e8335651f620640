"""The REST API (FastAPI): thin routes over `aurumbotx.services`; see docs/api.md.

`create_app(settings | container)` builds the application; `aurumbotx api` serves it with
uvicorn. Routes never touch the ORM: they call a service with the acting user's id and shape
its typed result into a schema of `api/schemas/`.
"""
