"""``govwatch serve``: the read-only web interface and JSON API over the version store.

``app.create_app`` builds the FastAPI application; ``pages`` (HTML), ``api`` (JSON, CSV),
``feeds`` (Atom) hold the routes; ``security`` the response headers and the token gate;
``views`` and ``charts`` turn query results into what the templates draw. Every read goes
through ``tracker`` (query, search, compare, feed): this package never writes.
"""
